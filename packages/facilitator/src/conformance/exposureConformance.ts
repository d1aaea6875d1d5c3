import type { Address, Hex } from 'viem'
import type { ExposureStore } from '../store/exposureStore.ts'
import type { LedgerStore, NewLedgerEntry } from '../store/ledgerStore.ts'
import { type ConformanceCase, check, type MakeStore, moveTo, newEntry, withStore } from './conformanceKit.ts'

const claimOf = (i: number): Hex => `0x${(i + 1).toString(16).padStart(64, 'c')}`
const addressOf = (i: number): Address => `0x${(i + 1).toString(16).padStart(40, '0')}`
const at = { now: 1_800_000_002n }

/** Reserves each entry and moves it to `submitted` (broadcast, not yet included). */
async function submitted(store: LedgerStore, entries: readonly NewLedgerEntry[]): Promise<void> {
  for (const entry of entries) {
    await store.reserve(entry)
    await moveTo(store, entry.id, ['settling', 'submitted'])
  }
}

/** Every entry's optimistic delivery asked at once, the i-th with its own claim. */
const takeAll = (
  store: ExposureStore,
  entries: readonly NewLedgerEntry[],
  limits: { maxPerPayer: bigint; maxPerSeller: bigint },
) =>
  Promise.all(
    entries.map((entry, i) => store.takeOptimisticDelivery(entry.id, { claim: claimOf(i), ...limits, ...at })),
  )

/**
 * The exposure port's cases: limits per payer and per payee held under concurrency, the mark on the
 * row, a loss closing the payer's optimistic delivery, and the sums read back.
 */
export function exposureConformance(makeStore: MakeStore<LedgerStore & ExposureStore>): ConformanceCase[] {
  return [
    {
      name: 'takeOptimisticDelivery: of 20 concurrent takers of one payer, those within maxPerPayer win',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = Array.from({ length: 20 }, () => newEntry({ amount: 10_000n }))
          await submitted(store, entries)
          const results = await takeAll(store, entries, { maxPerPayer: 50_000n, maxPerSeller: 1_000_000n })
          const won = results.filter((result) => result.ok)
          check(won.length === 5, 'not exactly 5 within the payer limit', won.length)
          check(
            results.every((result) => result.ok || result.reason === 'payer_exposure'),
            'refused for another reason',
          )
          const first = won[0]
          check(
            first?.ok === true && first.entry.optimistic === true && first.entry.deliveredTo !== undefined,
            'no mark',
          )
          const stored = await store.get(first.entry.id)
          check(
            stored?.optimistic === true && stored.deliveredTo === first.entry.deliveredTo,
            'mark not stored',
            stored,
          )
          const { chainId, asset, payer } = entries[0] as (typeof entries)[0]
          const exposure = await store.exposure({ chainId, asset, payer })
          check(exposure.open === 50_000n && exposure.openCount === 5, 'payer exposure', exposure)
        }),
    },
    {
      name: 'takeOptimisticDelivery: of 10 payers of one payee, those within maxPerSeller win',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = Array.from({ length: 10 }, (_, i) => newEntry({ amount: 10_000n, payer: addressOf(i) }))
          await submitted(store, entries)
          const results = await takeAll(store, entries, { maxPerPayer: 10_000n, maxPerSeller: 30_000n })
          check(results.filter((result) => result.ok).length === 3, 'not exactly 3 within the payee limit', results)
          const { chainId, asset, payTo } = entries[0] as (typeof entries)[0]
          const exposure = await store.exposure({ chainId, asset, payTo })
          check(exposure.open === 30_000n && exposure.openCount === 3, 'payee exposure', exposure)
        }),
    },
    {
      name: 'takeOptimisticDelivery: only a settling or submitted entry not delivered; the same claim wins again',
      run: () =>
        withStore(makeStore, async (store) => {
          const limits = { maxPerPayer: 1_000_000n, maxPerSeller: 1_000_000n, ...at }
          const entry = newEntry()
          await store.reserve(entry)
          const early = await store.takeOptimisticDelivery(entry.id, { claim: claimOf(1), ...limits })
          check(!early.ok && early.reason === 'state', 'a reserved entry was delivered', early)
          const missing = await store.takeOptimisticDelivery('nope', { claim: claimOf(1), ...limits })
          check(!missing.ok && missing.reason === 'state', 'a missing entry was delivered', missing)
          await moveTo(store, entry.id, ['settling', 'submitted'])
          const first = await store.takeOptimisticDelivery(entry.id, { claim: claimOf(1), ...limits })
          check(first.ok, 'not delivered', first)
          const again = await store.takeOptimisticDelivery(entry.id, { claim: claimOf(1), ...limits })
          check(again.ok, 'the same claim lost its delivery', again)
          const other = await store.takeOptimisticDelivery(entry.id, { claim: claimOf(2), ...limits })
          check(!other.ok && other.reason === 'state', 'delivered to a second claim', other)
          const zero = newEntry()
          await submitted(store, [zero])
          const none = await store.takeOptimisticDelivery(zero.id, { claim: claimOf(3), ...limits, maxPerPayer: 0n })
          check(!none.ok && none.reason === 'payer_exposure', 'a zero limit delivered', none)
        }),
    },
    {
      name: 'takeOptimisticDelivery: a settled entry frees its exposure; a failed one is a loss and closes the payer',
      run: () =>
        withStore(makeStore, async (store) => {
          const limits = { maxPerPayer: 10_000n, maxPerSeller: 1_000_000n, ...at }
          const [a, b, c, d] = Array.from({ length: 4 }, () => newEntry({ amount: 10_000n }))
          const other = newEntry({ amount: 10_000n, payer: addressOf(7) })
          if (!a || !b || !c || !d) throw new Error('unreachable')
          await submitted(store, [a, b, c, d, other])
          check((await store.takeOptimisticDelivery(a.id, { claim: claimOf(1), ...limits })).ok, 'a not delivered')
          const full = await store.takeOptimisticDelivery(b.id, { claim: claimOf(2), ...limits })
          check(!full.ok && full.reason === 'payer_exposure', 'b passed the limit', full)
          await store.transition(a.id, { from: ['submitted'], to: 'settled', ...at })
          check((await store.takeOptimisticDelivery(b.id, { claim: claimOf(2), ...limits })).ok, 'settled a not freed')
          await store.transition(b.id, { from: ['submitted'], to: 'failed', ...at })
          const closed = await store.takeOptimisticDelivery(c.id, { claim: claimOf(3), ...limits })
          check(!closed.ok && closed.reason === 'payer_lost', 'a payer with a loss was delivered', closed)
          check(
            (await store.takeOptimisticDelivery(other.id, { claim: claimOf(4), ...limits })).ok,
            'another payer was closed',
          )
          const exposure = await store.exposure({ chainId: a.chainId, asset: a.asset, payer: a.payer })
          check(
            exposure.settled === 10_000n && exposure.lost === 10_000n && exposure.open === 0n,
            'payer sums',
            exposure,
          )
          check(exposure.settledCount === 1 && exposure.lostCount === 1, 'payer counts', exposure)
          const totals = await store.exposureTotals()
          check(totals.open === 10_000n && totals.openCount === 1 && totals.lostCount === 1, 'totals', totals)
        }),
    },
    {
      name: 'takeOptimisticDelivery: a preconfirmed entry still counts as open exposure until it is sealed',
      run: () =>
        withStore(makeStore, async (store) => {
          const limits = { maxPerPayer: 10_000n, maxPerSeller: 1_000_000n, ...at }
          const [a, b] = Array.from({ length: 2 }, () => newEntry({ amount: 10_000n }))
          if (!a || !b) throw new Error('unreachable')
          await submitted(store, [a, b])
          check((await store.takeOptimisticDelivery(a.id, { claim: claimOf(1), ...limits })).ok, 'a not delivered')
          await store.transition(a.id, { from: ['submitted'], to: 'preconfirmed', ...at })
          const full = await store.takeOptimisticDelivery(b.id, { claim: claimOf(2), ...limits })
          check(!full.ok && full.reason === 'payer_exposure', 'a preconfirmed entry freed its exposure', full)
          const exposure = await store.exposure({ chainId: a.chainId, asset: a.asset, payTo: a.payTo })
          check(exposure.open === 10_000n && exposure.openCount === 1, 'payee open sums', exposure)
          await store.transition(a.id, { from: ['preconfirmed'], to: 'settled', ...at })
          check((await store.takeOptimisticDelivery(b.id, { claim: claimOf(2), ...limits })).ok, 'sealed a not freed')
        }),
    },
    {
      name: 'exposure: an optimistic entry given back and released is a loss, not an open exposure',
      run: () =>
        withStore(makeStore, async (store) => {
          const limits = { maxPerPayer: 1_000_000n, maxPerSeller: 1_000_000n, ...at }
          const entry = newEntry({ amount: 10_000n, payer: addressOf(9) })
          await submitted(store, [entry])
          check((await store.takeOptimisticDelivery(entry.id, { claim: claimOf(1), ...limits })).ok, 'not delivered')
          await store.transition(entry.id, { from: ['submitted'], to: 'reserved', ...at })
          const held = await store.exposure({ chainId: entry.chainId, asset: entry.asset, payer: entry.payer })
          check(held.open === 10_000n && held.openCount === 1, 'a given-back entry is still open', held)
          await store.transition(entry.id, { from: ['reserved'], to: 'released', ...at })
          const lost = await store.exposure({ chainId: entry.chainId, asset: entry.asset, payer: entry.payer })
          check(lost.open === 0n && lost.lost === 10_000n && lost.lostCount === 1, 'released is not a loss', lost)
        }),
    },
  ]
}
