import { encodeEventTopics, pad, toHex } from 'viem'
import { expect, test } from 'vitest'
import { eip3009Abi } from '../encoding/eip3009Abi.ts'
import { hasTransferLog } from './hasTransferLog.ts'

const asset = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const from = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const log = {
  address: asset.toLowerCase(),
  topics: encodeEventTopics({ abi: eip3009Abi, eventName: 'Transfer', args: { from, to } }) as string[],
  data: pad(toHex(10_000n)),
}

test('default: finds the Transfer emitted by the asset', () => {
  expect(hasTransferLog([log], { asset, from, to, value: 10_000n })).toBe(true)
})

test('behavior: wrong emitter, parties or value do not count', () => {
  expect(hasTransferLog([{ ...log, address: to }], { asset, from, to, value: 10_000n })).toBe(false)
  expect(hasTransferLog([log], { asset, from: to, to: from, value: 10_000n })).toBe(false)
  expect(hasTransferLog([log], { asset, from, to, value: 9_999n })).toBe(false)
  expect(hasTransferLog([], { asset, from, to, value: 10_000n })).toBe(false)
})
