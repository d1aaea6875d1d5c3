import { encodeErrorResult, parseAbi } from 'viem'
import { expect, test } from 'vitest'
import { revertReason } from './revertReason.ts'

const abi = parseAbi(['error Error(string)', 'error Panic(uint256)', 'error Custom(uint256)'])

test('default: Error(string)', () => {
  const data = encodeErrorResult({ abi, errorName: 'Error', args: ['FiatTokenV2: authorization is expired'] })
  expect(revertReason(data)).toBe('FiatTokenV2: authorization is expired')
})

test('behavior: Panic, empty and custom errors', () => {
  expect(revertReason(encodeErrorResult({ abi, errorName: 'Panic', args: [0x11n] }))).toBe('panic 0x11')
  expect(revertReason('0x')).toBe('reverted without a reason')
  expect(revertReason(encodeErrorResult({ abi, errorName: 'Custom', args: [1n] }))).toMatch(/^reverted with 0x/)
})
