/** The walk of a payment whose nonce was spent on chain, from each state its row can be in. */
import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { moveTo, newEntry } from '../conformance/conformanceKit.ts'
import { createMemoryStore } from './createMemoryStore.ts'
import { recordSpentNonce } from './ledger.ts'
import type { LedgerState } from './ledgerStore.ts'
import type { Store } from './store.ts'

const now = 1_800_000_100n
const spender: Hex = `0x${'5e'.repeat(32)}`

async function rowIn(store: Store, state: 'reserved' | 'settling' | 'submitted') {
  const entry = newEntry({ amount: 1_000n })
  await store.reserve(entry)
  const paths: Record<typeof state, readonly LedgerState[]> = {
    reserved: [],
    settling: ['settling'],
    submitted: ['settling', 'submitted'],
  }
  await moveTo(store, entry.id, paths[state], now)
  const row = await store.get(entry.id)
  if (row?.state !== state) throw new Error(`not moved to ${state}`)
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
