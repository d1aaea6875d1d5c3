import { getAddress } from 'viem'
import { expect, test } from 'vitest'
import { checksumAddress } from './checksumAddress.ts'

test('default', () => {
  expect(checksumAddress('0x833589fcd6edb6e08f4c7c32d4f71b54bda02913')).toBe(
    '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  )
  expect(checksumAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')).toBe(
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  )
})

test('behavior: agrees with viem getAddress on many addresses, in any case', () => {
  let seed = 7
  for (let n = 0; n < 200; n++) {
    let body = ''
    for (let i = 0; i < 40; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      body += (seed >> 8).toString(16).slice(-1)
    }
    const lower = `0x${body}`
    expect(checksumAddress(lower)).toBe(getAddress(lower))
    expect(checksumAddress(`0x${body.toUpperCase()}`)).toBe(getAddress(lower))
    expect(checksumAddress(getAddress(lower))).toBe(getAddress(lower))
  }
})

test('behavior: a mixed-case address with a wrong checksum is refused (a typo)', () => {
  expect(checksumAddress('0x70997970C51812dc3A010C7d01b50e0d17dc79c8')).toBeUndefined()
  expect(checksumAddress('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02912')).toBeUndefined()
})

test('behavior: rejects what is not an address', () => {
  expect(checksumAddress('0x1234')).toBeUndefined()
  expect(checksumAddress('833589fcd6edb6e08f4c7c32d4f71b54bda02913')).toBeUndefined()
  expect(checksumAddress('0xZZ3589fcd6edb6e08f4c7c32d4f71b54bda02913')).toBeUndefined()
})
