import { keccak256, toHex } from 'viem'
import { expect, test } from 'vitest'
import { keccak256Bytes } from './keccak256Bytes.ts'

test('default: the empty string', () => {
  expect(toHex(keccak256Bytes(new Uint8Array(0)))).toBe(
    '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
  )
})

test('behavior: equals viem keccak256 for random inputs of every length around the rate', () => {
  const lengths = [...Array.from({ length: 300 }, (_, i) => i), 407, 408, 409, 1_000, 4_096]
  for (const length of lengths) {
    for (let round = 0; round < 3; round++) {
      const data = crypto.getRandomValues(new Uint8Array(length))
      expect(toHex(keccak256Bytes(data)), `length ${length}`).toBe(keccak256(data))
    }
  }
})

test('behavior: a subarray view hashes its own bytes only', () => {
  const backing = crypto.getRandomValues(new Uint8Array(300))
  const view = backing.subarray(17, 17 + 224)
  expect(toHex(keccak256Bytes(view))).toBe(keccak256(view.slice()))
})
