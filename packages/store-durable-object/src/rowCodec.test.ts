import { describe, expect, test } from 'vitest'
import { ledgerShardOf } from './createDurableObjectStore.ts'
import { decodeRow, encodeRow } from './rowCodec.ts'

describe('rowCodec', () => {
  test('behavior: bigints past 2^53 and strings that look tagged survive a round trip', () => {
    const value = { amount: 2n ** 255n + 1n, nested: [{ at: 9007199254740993n }], text: '123n', tag: { $bigint: 1 } }
    expect(decodeRow(encodeRow(value))).toEqual(value)
  })

  test('edge: an absent field stays absent', () => {
    expect(Object.keys(decodeRow<object>(encodeRow({ a: 1, b: undefined })))).toEqual(['a'])
  })
})

describe('ledgerShardOf', () => {
  test('default: one shard per chain and payer, whatever the asset and nonce', () => {
    const payer = '0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc'
    const a = ledgerShardOf(`eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/${payer}/0x01`)
    const b = ledgerShardOf(`eip155:8453/0x036cbd53842c5426634e7929541ec2318f3dcf7e/${payer}/0x02`)
    expect(a).toBe(`ledger/eip155:8453/${payer}`)
    expect(b).toBe(a)
    expect(ledgerShardOf(`eip155:84532/0x01/${payer}/0x01`)).not.toBe(a)
  })

  test('edge: an id of another shape is a shard of its own', () => {
    expect(ledgerShardOf('odd')).toBe('ledger/odd')
  })
})
