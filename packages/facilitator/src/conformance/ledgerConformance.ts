import type { Hex } from 'viem'
import type { LedgerEntry, LedgerStore, NewLedgerEntry } from '../store/ledgerStore.ts'
import {
  type ConformanceCase,
  check,
  type MakeStore,
  moveTo,
  newEntry,
  sameEntry,
  withStore,
} from './conformanceKit.ts'

/** The ledger part of the Store conformance suite: reservations and leases, compare-and-set transitions and the transition table, field round-trips, deliveries and payment keys. */
export function ledgerConformance(makeStore: MakeStore<LedgerStore>): ConformanceCase[] {
  return [
    {
      name: 'reserve: a new id is written in state reserved and reads back field for field',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry({ amount: 2n ** 200n, validAfter: 1_740_000_000n, x402Version: 1 })
          const result = await store.reserve(entry)
          check(result.ok && result.created, 'reserve did not create', result)
          const read = await store.get(entry.id)
          check(read !== undefined, 'get after reserve returned nothing')
          check(read.state === 'reserved', 'state is not reserved', read)
          check(sameEntry(read, entry), 'fields do not round-trip', { read, entry })
          check(read.updatedAt === entry.createdAt, 'updatedAt is not createdAt on insert', read)
          for (const key of [
            'signer',
            'signerNonce',
            'transaction',
            'blockNumber',
            'errorCode',
            'errorMessage',
            'reservedUntil',
            'claimedBy',
            'claimedUntil',
          ] as const) {
            check(read[key] === undefined, `${key} is set on a new entry`, read)
          }
        }),
    },
    {
      name: 'reserve: the same payload again is ok and not created',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          const again = await store.reserve({ ...entry, createdAt: entry.createdAt + 5n })
          check(again.ok && !again.created, 'second reserve should be ok, not created', again)
          check(again.entry.createdAt === entry.createdAt, 'second reserve overwrote the entry', again)
        }),
    },
    {
      name: 'reserve: another payload under the same id is authorization_in_use',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          const other = await store.reserve({ ...entry, payloadHash: `0x${'cd'.repeat(32)}` })
          check(!other.ok && other.code === 'authorization_in_use', 'conflict not reported', other)
          check(!other.ok && other.entry.payloadHash === entry.payloadHash, 'conflict does not name the holder', other)
        }),
    },
    {
      name: 'reserve: an entry past reserved is authorization_in_use, even for the same payload',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await moveTo(store, entry.id, ['settling'])
          const again = await store.reserve(entry)
          check(!again.ok && again.code === 'authorization_in_use', 'settling entry re-reserved', again)
          check(!again.ok && again.entry.state === 'settling', 'holder state not reported', again)
        }),
    },
    {
      name: 'reserve: a released entry is reserved again',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await moveTo(store, entry.id, ['released'])
          const again = await store.reserve(entry)
          check(again.ok && again.entry.state === 'reserved', 'released entry not reserved again', again)
        }),
    },
    {
      name: 'reserve: 25 concurrent reservations of one id create exactly one row',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          const results = await Promise.all(Array.from({ length: 25 }, () => store.reserve(entry)))
          check(results.filter((r) => r.ok && r.created).length === 1, 'not exactly one creator', results)
          check(
            results.every((r) => r.ok),
            'a same-payload reservation failed',
            results,
          )
        }),
    },
    {
      name: 'get: an unknown id is undefined',
      run: () =>
        withStore(makeStore, async (store) => {
          check((await store.get('eip155:8453/0x00/0x00/0x00')) === undefined, 'unknown id returned an entry')
        }),
    },
    {
      name: 'transition: compare-and-set writes state, patch and updatedAt',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await moveTo(store, entry.id, ['settling'])
          const patch = {
            signer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
            signerNonce: 2n ** 63n + 7n,
            transaction: `0x${'5e'.repeat(32)}`,
          } as const
          const submitted = await store.transition(entry.id, {
            from: ['settling'],
            to: 'submitted',
            patch,
            now: 1_800_000_009n,
          })
          check(submitted.ok, 'settling -> submitted refused', submitted)
          const read = await store.get(entry.id)
          check(read !== undefined && read.state === 'submitted' && sameEntry(read, patch), 'patch not written', read)
          check(read.updatedAt === 1_800_000_009n && read.createdAt === entry.createdAt, 'timestamps wrong', read)
          const settled = await store.transition(entry.id, {
            from: ['submitted'],
            to: 'settled',
            patch: { blockNumber: 123_456n },
            now: 1_800_000_010n,
          })
          check(
            settled.ok && settled.entry.blockNumber === 123_456n && settled.entry.transaction === patch.transaction,
            'settled lost fields',
            settled,
          )
        }),
    },
    {
      name: 'transition: a patch key set to undefined clears the field',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await moveTo(store, entry.id, ['settling'])
          const transaction = `0x${'77'.repeat(32)}` as Hex
          await store.transition(entry.id, {
            from: ['settling'],
            to: 'submitted',
            patch: { transaction, signerNonce: 3n, signer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' },
            now: 1_800_000_002n,
          })
          const back = await store.transition(entry.id, {
            from: ['submitted'],
            to: 'reserved',
            patch: { transaction: undefined, signerNonce: undefined, signer: undefined },
            now: 1_800_000_003n,
          })
          check(back.ok, 'submitted -> reserved refused', back)
          const read = await store.get(entry.id)
          check(
            read?.state === 'reserved' &&
              read.transaction === undefined &&
              read.signerNonce === undefined &&
              read.signer === undefined,
            'fields not cleared',
            read,
          )
        }),
    },
    {
      name: 'transition: failure code and message are kept',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await moveTo(store, entry.id, ['settling'])
          const failed = await store.transition(entry.id, {
            from: ['settling'],
            to: 'failed',
            patch: { errorCode: 'invalid_exact_evm_transaction_failed', errorMessage: 'reverted: ünïcode ✓' },
            now: 1_800_000_002n,
          })
          check(failed.ok, 'settling -> failed refused', failed)
          const read = await store.get(entry.id)
          check(
            read?.errorCode === 'invalid_exact_evm_transaction_failed' && read.errorMessage === 'reverted: ünïcode ✓',
            'error fields not kept',
            read,
          )
        }),
    },
    {
      name: 'transition: from a state the entry is not in is refused and changes nothing',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          const result = await store.transition(entry.id, { from: ['settling'], to: 'submitted', now: 1_800_000_002n })
          check(!result.ok && result.code === 'invalid_transaction_state', 'stale compare-and-set accepted', result)
          check(!result.ok && result.entry?.state === 'reserved', 'refusal does not report the entry', result)
          check((await store.get(entry.id))?.state === 'reserved', 'state changed anyway')
        }),
    },
    {
      name: 'transition: moves outside the ledger table are refused',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          for (const to of ['settled', 'submitted', 'failed'] as const) {
            const result = await store.transition(entry.id, { from: ['reserved'], to, now: 1_800_000_002n })
            check(!result.ok, `reserved -> ${to} accepted`, result)
          }
          await moveTo(store, entry.id, ['settling', 'submitted'])
          const settled = await store.transition(entry.id, { from: ['submitted'], to: 'settled', now: 1_800_000_003n })
          check(settled.ok, 'submitted -> settled refused', settled)
          const back = await store.transition(entry.id, { from: ['settled'], to: 'reserved', now: 1_800_000_004n })
          check(!back.ok, 'a final state moved', back)
        }),
    },
    {
      name: 'transition: an unknown id is refused',
      run: () =>
        withStore(makeStore, async (store) => {
          const result = await store.transition('eip155:8453/0x00/0x00/0x01', {
            from: ['reserved'],
            to: 'settling',
            now: 1n,
          })
          check(!result.ok && result.entry === undefined, 'unknown id transitioned', result)
        }),
    },
    {
      name: 'transition: of 25 concurrent claims exactly one wins',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          const results = await Promise.all(
            Array.from({ length: 25 }, () =>
              store.transition(entry.id, { from: ['reserved'], to: 'settling', now: 1_800_000_002n }),
            ),
          )
          check(results.filter((r) => r.ok).length === 1, 'not exactly one winner', results)
        }),
    },
    {
      name: 'list: entries in the given states, oldest first, limited',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = [newEntry({ createdAt: 30n }), newEntry({ createdAt: 10n }), newEntry({ createdAt: 20n })]
          for (const entry of entries) await store.reserve(entry)
          await moveTo(store, (entries[0] as NewLedgerEntry).id, ['settling'])
          const reserved = await store.list({ states: ['reserved'] })
          check(
            reserved.map((e) => e.createdAt).join() === '10,20',
            'reserved list wrong or not oldest first',
            reserved.map((e) => e.id),
          )
          const both = await store.list({ states: ['reserved', 'settling'], limit: 2 })
          check(both.length === 2 && both[0]?.createdAt === 10n, 'limit or order wrong', both)
          check((await store.list({ states: ['settled'] })).length === 0, 'settled list not empty')
        }),
    },
    {
      name: 'reserve: a lease is held until reservedUntil, then re-taken; released is re-taken at once',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry({ reservedUntil: 1_800_000_120n })
          const first = await store.reserve(entry)
          check(first.ok && first.created && first.leased, 'new reservation not leased', first)
          check(first.ok && first.entry.reservedUntil === 1_800_000_120n, 'reservedUntil not written', first)
          const held = await store.reserve({ ...entry, createdAt: 1_800_000_119n, reservedUntil: 1_800_000_239n })
          check(held.ok && !held.created && !held.leased, 'a held lease was taken again', held)
          check(held.ok && held.entry.reservedUntil === 1_800_000_120n, 'a held lease was extended', held)
          const retaken = await store.reserve({ ...entry, createdAt: 1_800_000_120n, reservedUntil: 1_800_000_240n })
          check(retaken.ok && !retaken.created && retaken.leased, 'an expired lease was not re-taken', retaken)
          check(retaken.ok && retaken.entry.reservedUntil === 1_800_000_240n, 'new lease end not written', retaken)
          await store.transition(entry.id, {
            from: ['reserved'],
            to: 'released',
            patch: { reservedUntil: undefined },
            now: 1_800_000_121n,
          })
          const again = await store.reserve({ ...entry, createdAt: 1_800_000_122n, reservedUntil: 1_800_000_242n })
          check(again.ok && again.leased && again.entry.state === 'reserved', 'released entry not leased again', again)
          check(again.ok && again.entry.reservedUntil === 1_800_000_242n, 'lease after release not written', again)
        }),
    },
    {
      name: 'reserve: the holder is written, kept while the lease is held, and replaced by whoever re-takes it',
      run: () =>
        withStore(makeStore, async (store) => {
          const [a, b] = [`0x${'a1'.repeat(32)}`, `0x${'b2'.repeat(32)}`] as const
          const entry = newEntry({ reservedUntil: 1_800_000_120n, holder: a })
          const first = await store.reserve(entry)
          check(first.ok && first.entry.holder === a, 'holder not written', first)
          const held = await store.reserve({ ...entry, createdAt: 1_800_000_100n, holder: b })
          check(held.ok && !held.leased && held.entry.holder === a, 'a held reservation changed holder', held)
          const retaken = await store.reserve({
            ...entry,
            createdAt: 1_800_000_120n,
            reservedUntil: 1_800_000_240n,
            holder: b,
          })
          check(retaken.ok && retaken.leased && retaken.entry.holder === b, 're-taker is not the holder', retaken)
          const { holder: _, ...anonymous } = entry
          const cleared = await store.reserve({
            ...anonymous,
            createdAt: 1_800_000_240n,
            reservedUntil: 1_800_000_360n,
          })
          check(cleared.ok && cleared.leased && cleared.entry.holder === undefined, 'holder not cleared', cleared)
        }),
    },
    {
      name: 'swapDelivery: only a settled entry, only from the expected value; of 25 concurrent takers one wins',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          const [a, b] = [`0x${'a1'.repeat(32)}`, `0x${'b2'.repeat(32)}`] as const
          const early = await store.swapDelivery(entry.id, { expected: undefined, next: a, now: 1_800_000_001n })
          check(!early.ok && early.entry?.deliveredTo === undefined, 'an unsettled entry was delivered', early)
          await moveTo(store, entry.id, ['settling', 'submitted', 'settled'])
          const takers = Array.from({ length: 25 }, (_, i) => `0x${i.toString(16).padStart(64, '0')}` as Hex)
          const results = await Promise.all(
            takers.map((next) => store.swapDelivery(entry.id, { expected: undefined, next, now: 1_800_000_002n })),
          )
          const winners = results.filter((result) => result.ok)
          check(winners.length === 1, 'not exactly one delivery', results)
          const winner = (winners[0] as { entry: LedgerEntry }).entry.deliveredTo
          check((await store.get(entry.id))?.deliveredTo === winner, 'deliveredTo not the winner')
          const wrong = await store.swapDelivery(entry.id, { expected: a, next: b, now: 1_800_000_003n })
          check(!wrong.ok && wrong.entry?.deliveredTo === winner, 'swapped from a value it did not hold', wrong)
          const back = await store.swapDelivery(entry.id, { expected: winner, next: undefined, now: 1_800_000_004n })
          check(
            back.ok && back.entry.deliveredTo === undefined && back.entry.state === 'settled',
            'not given back',
            back,
          )
          const again = await store.swapDelivery(entry.id, { expected: undefined, next: b, now: 1_800_000_005n })
          check(again.ok && again.entry.deliveredTo === b, 'a given-back delivery was not taken again', again)
        }),
    },
    {
      name: 'findPayment: the newest standing entry of a payment key; failed, expired and released do not stand',
      run: () =>
        withStore(makeStore, async (store) => {
          const key = `0x${'c3'.repeat(32)}` as const
          check((await store.findPayment(key)) === undefined, 'found a payment never written')
          const first = newEntry({ paymentKey: key, createdAt: 1_800_000_000n })
          const second = newEntry({ paymentKey: key, createdAt: 1_800_000_010n })
          await store.reserve(first)
          await store.reserve(newEntry())
          check((await store.findPayment(key))?.id === first.id, 'first entry not found')
          await store.reserve(second)
          const newest = await store.findPayment(key)
          check(newest?.id === second.id && newest.paymentKey === key, 'newest entry not found', newest)
          await moveTo(store, second.id, ['settling', 'failed'])
          check((await store.findPayment(key))?.id === first.id, 'a failed entry still stands')
          await moveTo(store, first.id, ['released'])
          check((await store.findPayment(key)) === undefined, 'a released entry still stands')
        }),
    },
    {
      name: 'reserve: of 25 concurrent leased reservations of one id exactly one holds the lease',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry({ reservedUntil: 1_800_000_120n })
          const results = await Promise.all(Array.from({ length: 25 }, () => store.reserve(entry)))
          check(results.filter((r) => r.ok && r.leased).length === 1, 'not exactly one lease holder', results)
          check(
            results.every((r) => r.ok),
            'a same-payload reservation failed',
            results,
          )
          const expired = { ...entry, createdAt: 1_800_000_200n, reservedUntil: 1_800_000_320n }
          const retakes = await Promise.all(Array.from({ length: 25 }, () => store.reserve(expired)))
          check(retakes.filter((r) => r.ok && r.leased).length === 1, 'not exactly one re-taker', retakes)
        }),
    },
  ]
}
