import type { Hex } from 'viem'
import {
  claimSettlement,
  confirmSealed,
  expire,
  giveBack,
  recordFailed,
  recordSettled,
  recordSpentNonce,
  recordSubmission,
  releaseReservation,
  requestSettlement,
} from '../store/ledger.ts'
import type { LedgerState, LedgerStore, TransitionResult } from '../store/ledgerStore.ts'
import { type ConformanceCase, check, type MakeStore, moveTo, newEntry, withStore } from './conformanceKit.ts'

const now = 1_800_000_050n
const at = { now }
const hash = (byte: string): Hex => `0x${byte.repeat(32)}`
const signer = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

/** Every named move, each tried on a row in every state. */
const moves: Record<
  string,
  { from: readonly LedgerState[]; run: (store: LedgerStore, id: string) => Promise<TransitionResult> }
> = {
  claimSettlement: { from: ['reserved', 'requested'], run: (store, id) => claimSettlement(store, id, at) },
  requestSettlement: { from: ['reserved'], run: (store, id) => requestSettlement(store, id, at) },
  'giveBack (requested)': { from: ['requested'], run: (store, id) => giveBack(store, id, ['requested'], at) },
  'expire (requested)': { from: ['requested'], run: (store, id) => expire(store, id, 'requested', at) },
  recordSubmission: {
    from: ['settling', 'submitted'],
    run: (store, id) => recordSubmission(store, id, { transaction: hash('11'), signer, signerNonce: 3n }, at),
  },
  'recordSubmission (replacing)': {
    from: ['submitted'],
    run: (store, id) => recordSubmission(store, id, { transaction: hash('12') }, { now, replacing: true }),
  },
  recordSettled: { from: ['submitted'], run: (store, id) => recordSettled(store, id, { blockNumber: 9n }, at) },
  'recordSettled (preconfirmed)': {
    from: ['submitted'],
    run: (store, id) => recordSettled(store, id, { blockNumber: 9n, preconfirmed: true }, at),
  },
  confirmSealed: { from: ['preconfirmed'], run: (store, id) => confirmSealed(store, id, { blockNumber: 10n }, at) },
  'recordFailed (preconfirmed)': {
    from: ['preconfirmed'],
    run: (store, id) =>
      recordFailed(store, id, 'preconfirmed', { errorCode: 'invalid_exact_evm_transaction_failed' }, at),
  },
  'recordFailed (settling)': {
    from: ['settling'],
    run: (store, id) => recordFailed(store, id, 'settling', { errorCode: 'invalid_exact_evm_transaction_failed' }, at),
  },
  'recordFailed (submitted)': {
    from: ['submitted'],
    run: (store, id) => recordFailed(store, id, 'submitted', { errorCode: 'invalid_exact_evm_transaction_failed' }, at),
  },
  giveBack: { from: ['settling', 'submitted'], run: (store, id) => giveBack(store, id, ['settling', 'submitted'], at) },
  'giveBack (preconfirmed)': { from: ['preconfirmed'], run: (store, id) => giveBack(store, id, ['preconfirmed'], at) },
  'expire (reserved)': { from: ['reserved'], run: (store, id) => expire(store, id, 'reserved', at) },
  'expire (submitted)': { from: ['submitted'], run: (store, id) => expire(store, id, 'submitted', at) },
  'expire (preconfirmed)': { from: ['preconfirmed'], run: (store, id) => expire(store, id, 'preconfirmed', at) },
  releaseReservation: { from: ['reserved'], run: (store, id) => releaseReservation(store, id, at) },
}

const nonceUsedFailure = { errorCode: 'invalid_exact_evm_transaction_failed' } as const

/** How to bring a new row to each state with the Store's own transitions. */
const paths: Record<LedgerState, readonly LedgerState[]> = {
  reserved: [],
  requested: ['requested'],
  settling: ['settling'],
  submitted: ['settling', 'submitted'],
  preconfirmed: ['settling', 'submitted', 'preconfirmed'],
  settled: ['settling', 'submitted', 'settled'],
  failed: ['settling', 'failed'],
  expired: ['expired'],
  released: ['released'],
}

/** A new row in `state`, claimed by a reconciler when the Store lets it be. */
async function rowIn(store: LedgerStore, state: LedgerState) {
  const entry = newEntry()
  await store.reserve(entry)
  await moveTo(store, entry.id, paths[state])
  await store.claim({ states: [state], owner: 'reconciler-a', leaseSeconds: 60n, limit: 1, now: now - 10n })
  const row = await store.get(entry.id)
  check(row?.state === state, `no row in ${state}`, row)
  return row
}

/**
 * The named ledger moves (`ledger.ts`) on a Store: each is allowed from exactly its states, writes
 * its fields, and frees a reconciler's claim where it ends one.
 */
export function ledgerMoveConformance(makeStore: MakeStore<LedgerStore>): ConformanceCase[] {
  return [
    {
      name: 'ledger moves: each named move succeeds from exactly its states and changes nothing otherwise',
      run: () =>
        withStore(makeStore, async (store) => {
          for (const [name, move] of Object.entries(moves)) {
            for (const state of Object.keys(paths) as LedgerState[]) {
              const before = await rowIn(store, state)
              const { id } = before
              const result = await move.run(store, id)
              const allowed = move.from.includes(state)
              check(result.ok === allowed, `${name} from ${state}: ok is ${result.ok}`, result)
              if (!allowed) {
                const after = await store.get(id)
                check(after?.state === state && after.updatedAt === before.updatedAt, `${name} changed a ${state} row`)
              }
            }
          }
        }),
    },
    {
      name: 'ledger moves: claim, submission, replacement and settlement write their fields; the claim is freed',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          check((await claimSettlement(store, entry.id, at)).ok, 'claimSettlement refused')
          check(!(await claimSettlement(store, entry.id, at)).ok, 'a second claimSettlement was allowed')
          const first = await recordSubmission(
            store,
            entry.id,
            { transaction: hash('21'), signer, signerNonce: 5n },
            at,
          )
          check(first.ok && first.entry.signerNonce === 5n && first.entry.signer === signer, 'submission fields', first)
          await store.claim({ states: ['submitted'], owner: 'reconciler-a', leaseSeconds: 60n, limit: 1, now })
          const replaced = await recordSubmission(
            store,
            entry.id,
            { transaction: hash('22') },
            { now, replacing: true },
          )
          check(
            replaced.ok && replaced.entry.transaction === hash('22'),
            'the replacement hash was not written',
            replaced,
          )
          check(replaced.entry.signerNonce === 5n, 'a replacement lost the signer nonce', replaced)
          const settled = await recordSettled(store, entry.id, { blockNumber: 77n, transaction: hash('23') }, at)
          check(settled.ok && settled.entry.state === 'settled', 'recordSettled refused', settled)
          check(
            settled.entry.blockNumber === 77n && settled.entry.transaction === hash('23'),
            'landing fields',
            settled,
          )
          check(
            settled.entry.claimedBy === undefined && settled.entry.claimedUntil === undefined,
            'claim kept',
            settled,
          )
        }),
    },
    {
      name: 'ledger moves: a handed-over payment drops its lease and claim, and one signing node claims it',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry({ reservedUntil: now + 600n })
          await store.reserve(entry)
          const requested = await requestSettlement(store, entry.id, at)
          check(requested.ok && requested.entry.state === 'requested', 'requestSettlement refused', requested)
          check(requested.entry.reservedUntil === undefined, 'a handed-over payment kept its lease', requested)
          const taken = await store.claim({ states: ['requested'], owner: 'node-b', leaseSeconds: 15n, limit: 5, now })
          check(taken.length === 1 && taken[0]?.claimedBy === 'node-b', 'the signing node did not take it', taken)
          const again = await store.claim({ states: ['requested'], owner: 'node-c', leaseSeconds: 15n, limit: 5, now })
          check(again.length === 0, 'two signing nodes took one handed-over payment', again)
          const claimed = await claimSettlement(store, entry.id, { now, owner: 'node-b' })
          check(claimed.ok && claimed.entry.state === 'settling', 'a handed-over payment was not claimed', claimed)
          check(claimed.entry.claimedBy === 'node-b', 'claimSettlement did not write its owner', claimed)
        }),
    },
    {
      name: 'ledger moves: a preconfirmed payment is delivered once, then sealed with its block, or failed',
      run: () =>
        withStore(makeStore, async (store) => {
          const row = await rowIn(store, 'submitted')
          const seen = await recordSettled(store, row.id, { blockNumber: 40n, preconfirmed: true }, at)
          check(seen.ok && seen.entry.state === 'preconfirmed' && seen.entry.blockNumber === 40n, 'preconfirmed', seen)
          const claim = hash('51')
          const taken = await store.swapDelivery(row.id, { expected: undefined, next: claim, now })
          check(taken.ok && taken.entry.deliveredTo === claim, 'a preconfirmed payment was not delivered', taken)
          const other = await store.swapDelivery(row.id, { expected: undefined, next: hash('52'), now })
          check(!other.ok, 'a preconfirmed payment was delivered twice', other)
          const sealed = await confirmSealed(store, row.id, { blockNumber: 41n, transaction: hash('53') }, at)
          check(sealed.ok && sealed.entry.state === 'settled', 'confirmSealed refused', sealed)
          check(sealed.entry.blockNumber === 41n && sealed.entry.transaction === hash('53'), 'sealed fields', sealed)
          check(sealed.entry.deliveredTo === claim, 'confirmSealed lost the delivery', sealed)
          check(!(await recordFailed(store, row.id, 'preconfirmed', nonceUsedFailure, at)).ok, 'sealed row failed')

          const reverted = await rowIn(store, 'preconfirmed')
          const failed = await recordFailed(store, reverted.id, 'preconfirmed', nonceUsedFailure, at)
          check(
            failed.ok && failed.entry.state === 'failed',
            'a preconfirmation reverted in its block not failed',
            failed,
          )
        }),
    },
    {
      name: 'ledger moves: a failure keeps its code, message and block; giveBack clears submission, lease and claim',
      run: () =>
        withStore(makeStore, async (store) => {
          const failedId = (await rowIn(store, 'submitted')).id
          const failure = {
            errorCode: 'invalid_exact_evm_transfer_event_mismatch',
            errorMessage: 'no Transfer',
            blockNumber: 12n,
          } as const
          const failed = await recordFailed(store, failedId, 'submitted', failure, at)
          check(failed.ok && failed.entry.state === 'failed', 'recordFailed refused', failed)
          check(failed.entry.errorCode === failure.errorCode && failed.entry.errorMessage === 'no Transfer', 'code')
          check(failed.entry.blockNumber === 12n && failed.entry.claimedBy === undefined, 'block or claim', failed)

          const entry = newEntry({ reservedUntil: now + 600n })
          await store.reserve(entry)
          await moveTo(store, entry.id, ['settling'])
          await recordSubmission(store, entry.id, { transaction: hash('31'), signer, signerNonce: 8n }, at)
          await store.claim({ states: ['submitted'], owner: 'reconciler-a', leaseSeconds: 60n, limit: 1, now })
          const given = await giveBack(store, entry.id, ['submitted'], at)
          check(given.ok && given.entry.state === 'reserved', 'giveBack refused', given)
          for (const key of ['transaction', 'signer', 'signerNonce', 'reservedUntil', 'claimedBy'] as const) {
            check(given.entry[key] === undefined, `giveBack kept ${key}`, given)
          }
          check((await claimSettlement(store, entry.id, at)).ok, 'a payment given back cannot be claimed again')
        }),
    },
    {
      name: 'ledger moves: release clears the lease and the row may be reserved again; expire is final',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry({ reservedUntil: now + 600n })
          await store.reserve(entry)
          const released = await releaseReservation(store, entry.id, at)
          check(released.ok && released.entry.reservedUntil === undefined, 'release kept the lease', released)
          const again = await store.reserve({ ...entry, createdAt: now + 1n })
          check(again.ok && again.entry.state === 'reserved', 'a released row was not reserved again', again)
          const expired = await expire(store, entry.id, 'reserved', at)
          check(expired.ok && expired.entry.state === 'expired', 'expire refused', expired)
          check(!(await claimSettlement(store, entry.id, at)).ok, 'an expired payment was claimed')
        }),
    },
    {
      name: 'ledger moves: a spent nonce walks every open state to settled (paid) or failed (spent otherwise)',
      run: () =>
        withStore(makeStore, async (store) => {
          for (const state of ['reserved', 'requested', 'settling', 'submitted', 'preconfirmed'] as const) {
            const paidRow = await rowIn(store, state)
            const paid = await recordSpentNonce(store, paidRow, { paid: true, hash: hash('41'), blockNumber: 50n }, at)
            check(paid.done && paid.entry.state === 'settled', `a paid nonce from ${state} did not settle`, paid)
            check(paid.entry.transaction === hash('41') && paid.entry.blockNumber === 50n, 'spender fields', paid)
            check(paid.entry.claimedBy === undefined, `a paid nonce from ${state} kept the claim`, paid)

            const spentElsewhere = { paid: false, errorMessage: 'spent elsewhere' } as const
            const other = await recordSpentNonce(store, await rowIn(store, state), spentElsewhere, at)
            check(other.done && other.entry.errorCode === 'invalid_exact_evm_nonce_already_used', 'not failed', other)
            const again = await recordSpentNonce(store, other.entry, { paid: false, errorMessage: 'again' }, at)
            check(!again.done && again.entry.errorMessage === 'spent elsewhere', 'a final row was moved again', again)
          }
        }),
    },
  ]
}
