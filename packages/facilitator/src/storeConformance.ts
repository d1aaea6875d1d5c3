import type { Hex } from 'viem'
import { receiptConformance } from './receiptConformance.ts'
import { auditConformance } from './screening/auditConformance.ts'
import type { LedgerEntry, LedgerState, NewLedgerEntry, Store, StoredTransaction } from './store.ts'

/** One case of the Store conformance suite: run it under any test runner. */
export type ConformanceCase = { name: string; run: () => Promise<void> }

/** Makes a fresh, empty store for one case; the case closes it. */
export type MakeStore = () => Store | Promise<Store>

class ConformanceFailure extends Error {
  override name = 'ConformanceFailure'
}

function check(condition: boolean, message: string, detail?: unknown): asserts condition {
  if (!condition) {
    throw new ConformanceFailure(detail === undefined ? message : `${message}: ${stringify(detail)}`)
  }
}

const stringify = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))

let sequence = 0
function newEntry(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
  sequence++
  const nonce = `0x${sequence.toString(16).padStart(64, '0')}` as Hex
  return {
    id: `eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/${nonce}`,
    network: 'eip155:8453',
    chainId: 8453,
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    amount: 10_000n,
    nonce,
    validAfter: 0n,
    validBefore: 1_900_000_000n,
    payloadHash: `0x${'ab'.repeat(32)}`,
    x402Version: 2,
    createdAt: 1_800_000_000n,
    ...overrides,
  }
}

function newTransaction(overrides: Partial<StoredTransaction> = {}): StoredTransaction {
  sequence++
  return {
    // Mixed case on purpose: hashes are compared case-insensitively.
    hash: `0x${sequence.toString(16).padStart(8, '0')}${'aB'.repeat(28)}`,
    chainId: 8453,
    signer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    nonce: 7n,
    raw: `0x02f8${'c0'.repeat(60)}`,
    createdAt: 1_800_000_000n,
    ...overrides,
  }
}

const sameTransaction = (actual: StoredTransaction, expected: StoredTransaction) =>
  actual.hash.toLowerCase() === expected.hash.toLowerCase() &&
  actual.chainId === expected.chainId &&
  actual.signer === expected.signer &&
  actual.nonce === expected.nonce &&
  actual.raw === expected.raw &&
  actual.createdAt === expected.createdAt

const upper = (hash: Hex): Hex => `0x${hash.slice(2).toUpperCase()}`

const sameEntry = (actual: LedgerEntry, expected: Partial<LedgerEntry>) =>
  Object.entries(expected).every(([key, value]) => actual[key as keyof LedgerEntry] === value)

async function withStore(makeStore: MakeStore, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await makeStore()
  try {
    await body(store)
  } finally {
    await store.close()
  }
}

const moveTo = async (store: Store, id: string, path: readonly LedgerState[], now = 1_800_000_001n) => {
  let from: LedgerState = 'reserved'
  for (const to of path) {
    const result = await store.transition(id, { from: [from], to, now })
    check(result.ok, `transition ${from} -> ${to} refused`, result)
    from = to
  }
}

/**
 * The conformance suite every Store adapter passes: reservation semantics, compare-and-set
 * transitions, the transition table, field round-trips (bigints included), kept transactions and races. Framework-free:
 * each case is an async function that throws on failure.
 *
 * @example
 * import { storeConformance } from '@tollgate/facilitator'
 * import { describe, test } from 'vitest'
 * describe('conformance', () => {
 *   for (const { name, run } of storeConformance(() => createSqliteStore({ filename: ':memory:' }))) test(name, run)
 * })
 * @see architecture.md (The ledger)
 */
export function storeConformance(makeStore: MakeStore): ConformanceCase[] {
  const cases: ConformanceCase[] = [
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
    {
      name: 'claim: oldest first, limited, only free entries in the given states, fields written',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = [30n, 10n, 20n, 40n].map((createdAt) => newEntry({ createdAt }))
          for (const entry of entries) await store.reserve(entry)
          await moveTo(store, (entries[3] as NewLedgerEntry).id, ['settling'])
          const first = await store.claim({
            states: ['reserved'],
            owner: 'node-a',
            leaseSeconds: 30n,
            limit: 2,
            now: 100n,
          })
          check(first.map((e) => e.createdAt).join() === '10,20', 'claim order or limit wrong', first)
          check(
            first.every((e) => e.claimedBy === 'node-a' && e.claimedUntil === 130n && e.state === 'reserved'),
            'claim fields wrong',
            first,
          )
          const read = await store.get((entries[1] as NewLedgerEntry).id)
          check(read?.claimedBy === 'node-a' && read.claimedUntil === 130n, 'claim not stored', read)
          const second = await store.claim({
            states: ['reserved', 'settling'],
            owner: 'node-b',
            leaseSeconds: 30n,
            limit: 10,
            now: 129n,
          })
          check(second.map((e) => e.createdAt).join() === '30,40', 'held claims were handed out again', second)
          const later = await store.claim({
            states: ['reserved'],
            owner: 'node-b',
            leaseSeconds: 30n,
            limit: 10,
            now: 130n,
          })
          check(later.map((e) => e.createdAt).join() === '10,20', 'expired claims were not re-claimed', later)
          check(
            later.every((e) => e.claimedBy === 'node-b' && e.claimedUntil === 160n),
            'claim not renewed',
            later,
          )
          const none = await store.claim({
            states: ['settled'],
            owner: 'node-a',
            leaseSeconds: 30n,
            limit: 10,
            now: 500n,
          })
          check(none.length === 0, 'claimed entries outside the states', none)
        }),
    },
    {
      name: 'claim: a transition may clear the claim, which frees the entry',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await store.claim({ states: ['reserved'], owner: 'node-a', leaseSeconds: 60n, limit: 1, now: 100n })
          const moved = await store.transition(entry.id, {
            from: ['reserved'],
            to: 'settling',
            patch: { claimedBy: undefined, claimedUntil: undefined },
            now: 101n,
          })
          check(
            moved.ok && moved.entry.claimedBy === undefined && moved.entry.claimedUntil === undefined,
            'claim kept',
            moved,
          )
          const again = await store.claim({
            states: ['settling'],
            owner: 'node-b',
            leaseSeconds: 60n,
            limit: 1,
            now: 102n,
          })
          check(again.length === 1 && again[0]?.claimedBy === 'node-b', 'cleared claim not free', again)
        }),
    },
    {
      name: 'claim: concurrent claimers never get the same entry',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = Array.from({ length: 12 }, (_, i) => newEntry({ createdAt: BigInt(i) }))
          for (const entry of entries) await store.reserve(entry)
          const results = await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              store.claim({ states: ['reserved'], owner: `node-${i}`, leaseSeconds: 60n, limit: 3, now: 100n }),
            ),
          )
          const ids = results.flat().map((e) => e.id)
          check(new Set(ids).size === ids.length, 'an entry was claimed twice', ids)
          check(ids.length === 12, 'not every entry was claimed', ids.length)
        }),
    },
    {
      name: 'acquireSigner: one owner at a time, renewable, expiring, released only by its owner',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })) !== undefined,
            'free lease refused',
          )
          check(
            (await store.acquireSigner({ signer: signer.toLowerCase(), owner: 'b', leaseSeconds: 30n, now: 110n })) ===
              undefined,
            'a held lease was given to another owner',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 120n })) !== undefined,
            'renewal refused',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 149n })) === undefined,
            'renewal not kept',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 150n })) !== undefined,
            'expired lease refused',
          )
          await store.releaseSigner({ signer, owner: 'a' })
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 151n })) === undefined,
            'non-owner released',
          )
          await store.releaseSigner({ signer: signer.toUpperCase().replace('0X', '0x'), owner: 'b' })
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 152n })) !== undefined,
            'release did not free',
          )
          const other = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
          check(
            (await store.acquireSigner({ signer: other, owner: 'b', leaseSeconds: 30n, now: 152n })) !== undefined,
            'leases not per signer',
          )
        }),
    },
    {
      name: "reserve: the payer's signature is kept (absent stays absent) and survives transitions",
      run: () =>
        withStore(makeStore, async (store) => {
          // An ERC-6492 wrapped signature is long: ~1.5 KB of hex must fit.
          const signature = `0x${'1b'.repeat(65)}${'6492'.repeat(300)}` as Hex
          const entry = newEntry({ signature })
          await store.reserve(entry)
          check((await store.get(entry.id))?.signature === signature, 'signature not kept')
          await moveTo(store, entry.id, ['settling', 'reserved'])
          check((await store.get(entry.id))?.signature === signature, 'signature lost in a transition')
          const bare = newEntry()
          await store.reserve(bare)
          const read = await store.get(bare.id)
          check(read !== undefined && !('signature' in read), 'an absent signature reads back present', read)
        }),
    },
    {
      name: 'acquireSigner: fencing epochs: a new one at each acquisition, kept by renewals, a stale one refused',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65'
          const take = (owner: string, now: bigint, epoch?: bigint) =>
            store.acquireSigner({ signer, owner, leaseSeconds: 30n, now, ...(epoch === undefined ? {} : { epoch }) })
          const first = await take('a', 100n)
          check(first?.epoch === 1n && first.until === 130n, 'first lease not epoch 1 until now + 30', first)
          const renewed = await take('a', 110n, 1n)
          check(renewed?.epoch === 1n && renewed.until === 140n, 'a renewal changed the epoch or kept the end', renewed)
          // The same owner starting again (a restarted process under the same node id): at once, a new epoch.
          const restarted = await take('a', 115n)
          check(restarted?.epoch === 2n && restarted.until === 145n, 'a restart under the same owner', restarted)
          check((await take('a', 116n, 1n)) === undefined, 'a renewal with a stale epoch was granted')
          check((await take('b', 144n)) === undefined, 'an unexpired lease was taken')
          const taken = await take('b', 145n)
          check(taken?.epoch === 3n, 'an expired lease taken without a new epoch', taken)
          check((await take('a', 146n, 2n)) === undefined, 'the old holder renewed a lease taken from it')
          await store.releaseSigner({ signer, owner: 'b', epoch: 2n })
          check((await take('a', 147n)) === undefined, 'a release at another epoch freed the lease')
          await store.releaseSigner({ signer, owner: 'b', epoch: 3n })
          const again = await take('a', 148n)
          check(again?.epoch === 4n, 'the epoch did not survive a release', again)
        }),
    },
    {
      name: 'saveTransaction: a fenced write is kept only under the current, unexpired epoch of its signer',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc'
          const a = await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })
          check(a !== undefined, 'free lease refused')
          const kept = newTransaction({ signer })
          check(
            await store.saveTransaction(kept, { fence: { owner: 'a', epoch: a.epoch, now: 101n } }),
            'fenced write refused',
          )
          check((await store.getTransaction(kept.hash)) !== undefined, 'fenced write not kept')
          const b = await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 130n })
          check(b !== undefined && b.epoch > a.epoch, 'takeover without a new epoch', b)
          const stale = newTransaction({ signer, nonce: 8n })
          const refused = await store.saveTransaction(stale, { fence: { owner: 'a', epoch: a.epoch, now: 131n } })
          check(!refused, 'a write under a lost lease was kept')
          check((await store.getTransaction(stale.hash)) === undefined, 'a refused write left a transaction')
          check(
            !(await store.saveTransaction(stale, { fence: { owner: 'a', epoch: b.epoch, now: 131n } })),
            "a write under another owner's epoch was kept",
          )
          const current = newTransaction({ signer, nonce: 9n })
          check(
            await store.saveTransaction(current, { fence: { owner: 'b', epoch: b.epoch, now: 159n } }),
            'a write under the current lease was refused',
          )
          const late = newTransaction({ signer, nonce: 10n })
          check(
            !(await store.saveTransaction(late, { fence: { owner: 'b', epoch: b.epoch, now: 160n } })),
            'a write under an expired lease was kept',
          )
          const elsewhere = newTransaction({ signer: '0x976EA74026E726554dB657fA54763abd0C3a0aa9', nonce: 11n })
          check(
            !(await store.saveTransaction(elsewhere, { fence: { owner: 'b', epoch: b.epoch, now: 140n } })),
            'a write for a signer the fence does not lease was kept',
          )
          check(await store.saveTransaction(late), 'an unfenced write was refused')
        }),
    },
    {
      name: 'saveTransaction: 10 fenced writes racing a takeover: each is either refused or kept, as answered',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955'
          const a = await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })
          check(a !== undefined, 'free lease refused')
          const writes = Array.from({ length: 10 }, (_, i) => newTransaction({ signer, nonce: BigInt(20 + i) }))
          const [taken, ...answers] = await Promise.all([
            store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 130n }),
            ...writes.map((write) =>
              store.saveTransaction(write, { fence: { owner: 'a', epoch: a.epoch, now: 129n } }),
            ),
          ])
          check(taken !== undefined, 'takeover of an expired lease refused')
          for (const [i, write] of writes.entries()) {
            const stored = await store.getTransaction(write.hash)
            check((stored !== undefined) === answers[i], 'a fenced write answered otherwise than it did', {
              i,
              answers,
            })
          }
          const after = newTransaction({ signer, nonce: 40n })
          check(
            !(await store.saveTransaction(after, { fence: { owner: 'a', epoch: a.epoch, now: 129n } })),
            'a write after the takeover was kept',
          )
        }),
    },
    {
      name: 'acquireSigner: of 10 concurrent owners exactly one gets a free signer',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.acquireSigner({ signer, owner: `node-${i}`, leaseSeconds: 30n, now: 100n }),
            ),
          )
          check(results.filter((lease) => lease !== undefined).length === 1, 'not exactly one lease holder', results)
        }),
    },
    {
      name: 'saveTransaction: a kept transaction reads back field for field (large nonce, ~60 KB raw)',
      run: () =>
        withStore(makeStore, async (store) => {
          // A batch settlement can be large: ~60 KB of hex must fit.
          const transaction = newTransaction({
            chainId: 84532,
            nonce: 2n ** 40n + 3n,
            raw: `0x02${'f8ab'.repeat(15_000)}`,
            createdAt: 1_800_000_123n,
          })
          await store.saveTransaction(transaction)
          const read = await store.getTransaction(transaction.hash)
          check(read !== undefined, 'getTransaction after saveTransaction returned nothing')
          check(sameTransaction(read, transaction), 'fields do not round-trip', {
            read: { ...read, raw: `${read.raw.slice(0, 16)}… (${read.raw.length} chars)` },
            transaction: { ...transaction, raw: `${transaction.raw.slice(0, 16)}… (${transaction.raw.length} chars)` },
          })
          check(typeof read.nonce === 'bigint' && typeof read.createdAt === 'bigint', 'bigints not read back', read)
          check(typeof read.chainId === 'number', 'chainId is not a number', read)
        }),
    },
    {
      name: 'getTransaction: the hash is compared case-insensitively',
      run: () =>
        withStore(makeStore, async (store) => {
          const transaction = newTransaction()
          await store.saveTransaction(transaction)
          for (const hash of [transaction.hash.toLowerCase() as Hex, upper(transaction.hash)]) {
            const read = await store.getTransaction(hash)
            check(read !== undefined && sameTransaction(read, transaction), `not found by ${hash}`, read)
          }
        }),
    },
    {
      name: 'saveTransaction: the same hash again (any case) changes nothing',
      run: () =>
        withStore(makeStore, async (store) => {
          const first = newTransaction()
          await store.saveTransaction(first)
          const second = { ...first, nonce: 8n, raw: `0x02f8${'d1'.repeat(60)}`, createdAt: 1_800_000_005n } as const
          await store.saveTransaction(second)
          await store.saveTransaction({ ...second, hash: upper(first.hash) })
          const read = await store.getTransaction(first.hash)
          check(read !== undefined && sameTransaction(read, first), 'the first transaction was not kept', read)
        }),
    },
    {
      name: 'getTransaction: an unknown hash is undefined',
      run: () =>
        withStore(makeStore, async (store) => {
          await store.saveTransaction(newTransaction())
          const read = await store.getTransaction(`0x${'00'.repeat(32)}`)
          check(read === undefined, 'unknown hash returned a transaction', read)
        }),
    },
    {
      name: 'saveTransaction: 20 concurrent saves of one hash keep one of them',
      run: () =>
        withStore(makeStore, async (store) => {
          const base = newTransaction()
          const saves = Array.from({ length: 20 }, (_, i) => ({ ...base, nonce: BigInt(i) }))
          await Promise.all(saves.map((transaction) => store.saveTransaction(transaction)))
          const read = await store.getTransaction(base.hash)
          check(
            read !== undefined && saves.some((transaction) => sameTransaction(read, transaction)),
            'no saved transaction was kept',
            read,
          )
        }),
    },
  ]
  cases.push(...receiptConformance((body) => withStore(makeStore, body)))
  return [...cases, ...auditConformance(makeStore)]
}
