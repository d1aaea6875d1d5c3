/** The walk of a payment whose nonce was spent on chain, from each state its row can be in. */
import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { createMemoryStore } from './createMemoryStore.ts'
import { recordSpentNonce } from './ledger.ts'
import type { LedgerState, NewLedgerEntry, Store } from './store.ts'

const now = 1_800_000_100n
const spender: Hex = `0x${'5e'.repeat(32)}`

async function rowIn(store: Store, state: LedgerState) {
  const entry: NewLedgerEntry = {
    id: 'eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/0x01',
    network: 'eip155:8453',
    chainId: 8453,
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    amount: 1_000n,
    nonce: `0x${'01'.padStart(64, '0')}`,
    validAfter: 0n,
    validBefore: 1_900_000_000n,
    payloadHash: `0x${'ab'.repeat(32)}`,
    x402Version: 2,
    createdAt: 1_800_000_000n,
  }
  const reserved = await store.reserve(entry)
  if (!reserved.ok) throw new Error('not reserved')
  const paths: Record<'reserved' | 'settling' | 'submitted', LedgerState[]> = {
    reserved: [],
    settling: ['settling'],
    submitted: ['settling', 'submitted'],
  }
  const path = paths[state as keyof typeof paths]
  let row = reserved.entry
  for (const [i, to] of path.entries()) {
    const moved = await store.transition(entry.id, { from: [i === 0 ? 'reserved' : 'settling'], to, now })
    if (!moved.ok) throw new Error(`not moved to ${to}`)
    row = moved.entry
  }
  return row
}

describe('recordSpentNonce', () => {
  test.each(['reserved', 'settling', 'submitted'] as const)(
    'default: from %s, a spender that paid this payment settles it with its transaction',
    async (state) => {
      const store = createMemoryStore()
      const { done, entry } = await recordSpentNonce(
        store,
        await rowIn(store, state),
        { paid: true, hash: spender, blockNumber: 42n },
        { now },
      )
      expect(done).toBe(true)
      expect(entry).toMatchObject({ state: 'settled', transaction: spender, blockNumber: 42n })
    },
  )

  test.each(['reserved', 'settling', 'submitted'] as const)(
    'behavior: from %s, a nonce spent otherwise fails the payment as nonce already used',
    async (state) => {
      const store = createMemoryStore()
      const { done, entry } = await recordSpentNonce(
        store,
        await rowIn(store, state),
        { paid: false, errorMessage: 'spent elsewhere' },
        { now },
      )
      expect(done).toBe(true)
      expect(entry).toMatchObject({ state: 'failed', errorCode: 'invalid_exact_evm_nonce_already_used' })
    },
  )

  test('behavior: a row another node moved meanwhile is read back, not overwritten', async () => {
    const store = createMemoryStore()
    const stale = await rowIn(store, 'reserved')
    await store.transition(stale.id, { from: ['reserved'], to: 'released', now })
    const { done, entry } = await recordSpentNonce(
      store,
      stale,
      { paid: true, hash: spender, blockNumber: 42n },
      { now },
    )
    expect(done).toBe(false)
    expect(entry.state).toBe('released')
  })
})
