import type {
  ClaimParameters,
  LedgerEntry,
  LedgerState,
  LedgerStore,
  ListParameters,
  NewLedgerEntry,
  ReserveResult,
  TransitionParameters,
  TransitionResult,
} from '@tollgate/facilitator'
import { canTransition } from '@tollgate/facilitator/store'
import { decodeRow, encodeRow, sortKey } from './rowCodec.ts'
import type { SqlStorage } from './workersTypes.ts'

/** `LedgerStore.swapDelivery`'s parameters. */
export type SwapDeliveryParameters = Parameters<LedgerStore['swapDelivery']>[1]

/** The ledger shard's table: the entry as JSON, plus the columns its queries select and sort on. */
export const ledgerSchema = `
CREATE TABLE IF NOT EXISTS ledger (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  payment_key TEXT,
  entry TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_state_created ON ledger (state, created_at, id);
CREATE INDEX IF NOT EXISTS ledger_payment_key ON ledger (payment_key) WHERE payment_key IS NOT NULL;
`

const closedStates: readonly LedgerState[] = ['failed', 'expired', 'released']

/**
 * One ledger shard inside its Durable Object: the `LedgerStore` moves on the object's SQLite, each a synchronous
 * read-then-write with no `await` in between, so the object's single thread makes every move atomic: two requests
 * racing on one authorization meet here and agree on one winner.
 */
export function ledgerTable(sql: SqlStorage) {
  const read = (id: string): LedgerEntry | undefined => {
    const rows = sql.exec<{ entry: string }>('SELECT entry FROM ledger WHERE id = ?', id).toArray()
    return rows[0] ? decodeRow<LedgerEntry>(rows[0].entry) : undefined
  }
  const write = (entry: LedgerEntry) => {
    sql.exec(
      `INSERT INTO ledger (id, state, created_at, payment_key, entry) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET state = excluded.state, entry = excluded.entry`,
      entry.id,
      entry.state,
      sortKey(entry.createdAt),
      entry.paymentKey ?? null,
      encodeRow(entry),
    )
  }
  const inStates = (states: readonly LedgerState[]): LedgerEntry[] =>
    states.length === 0
      ? []
      : sql
          .exec<{ entry: string }>(
            `SELECT entry FROM ledger WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at, id`,
            ...states,
          )
          .toArray()
          .map((row) => decodeRow<LedgerEntry>(row.entry))
  const claimable = (states: readonly LedgerState[], now: bigint) =>
    inStates(states).filter((entry) => entry.claimedUntil === undefined || entry.claimedUntil <= now)
  const refused = (entry: LedgerEntry | undefined): TransitionResult => ({
    ok: false,
    code: 'invalid_transaction_state',
    entry,
  })

  return {
    reserve(entry: NewLedgerEntry): ReserveResult {
      const existing = read(entry.id)
      if (!existing) {
        const created: LedgerEntry = { ...entry, state: 'reserved', updatedAt: entry.createdAt }
        write(created)
        return { ok: true, entry: decodeRow(encodeRow(created)), created: true, leased: true }
      }
      if (
        existing.payloadHash !== entry.payloadHash ||
        (existing.state !== 'reserved' && existing.state !== 'released')
      ) {
        return { ok: false, code: 'authorization_in_use', entry: existing }
      }
      const free =
        existing.state === 'released' ||
        existing.reservedUntil === undefined ||
        existing.reservedUntil <= entry.createdAt
      if (!free) return { ok: true, entry: existing, created: false, leased: false }
      const { reservedUntil: _until, holder: _holder, ...rest } = existing
      const taken: LedgerEntry = {
        ...rest,
        state: 'reserved',
        updatedAt: entry.createdAt,
        ...(entry.reservedUntil === undefined ? {} : { reservedUntil: entry.reservedUntil }),
        ...(entry.holder === undefined ? {} : { holder: entry.holder }),
      }
      write(taken)
      return { ok: true, entry: taken, created: false, leased: true }
    },
    get: read,
    /** Writes `entry` as it is (the exposure's mark; every move goes through the methods above and below). */
    put: write,
    transition(id: string, { from, to, patch = {}, now }: TransitionParameters): TransitionResult {
      const entry = read(id)
      if (!entry || !from.includes(entry.state) || !canTransition(entry.state, to)) return refused(entry)
      const next: Record<string, unknown> = { ...entry, ...patch, state: to, updatedAt: now }
      // A patch key present with `undefined` clears the field.
      for (const key of Object.keys(patch)) if (next[key] === undefined) delete next[key]
      write(next as LedgerEntry)
      return { ok: true, entry: decodeRow(encodeRow(next)) }
    },
    swapDelivery(id: string, { expected, next, now }: SwapDeliveryParameters): TransitionResult {
      const entry = read(id)
      if ((entry?.state !== 'settled' && entry?.state !== 'preconfirmed') || entry.deliveredTo !== expected) {
        return refused(entry)
      }
      const { deliveredTo: _previous, ...rest } = entry
      const swapped: LedgerEntry = { ...rest, updatedAt: now, ...(next === undefined ? {} : { deliveredTo: next }) }
      write(swapped)
      return { ok: true, entry: swapped }
    },
    /** This shard's newest standing entry under `paymentKey`. */
    findPayment(paymentKey: string): LedgerEntry | undefined {
      const standing = sql
        .exec<{ entry: string }>(
          'SELECT entry FROM ledger WHERE payment_key = ? ORDER BY created_at DESC, id DESC',
          paymentKey,
        )
        .toArray()
        .map((row) => decodeRow<LedgerEntry>(row.entry))
        .filter((entry) => !closedStates.includes(entry.state))
      return standing[0]
    },
    list({ states, limit = 100 }: ListParameters): LedgerEntry[] {
      return inStates(states).slice(0, Math.max(0, limit))
    },
    /** When this shard's oldest claimable entry was created (how the client orders shards), if any. */
    oldestClaimable(states: readonly LedgerState[], now: bigint): bigint | undefined {
      return claimable(states, now)[0]?.createdAt
    },
    claim({ states, owner, leaseSeconds, limit, now }: ClaimParameters): LedgerEntry[] {
      const claimed = claimable(states, now)
        .slice(0, Math.max(0, limit))
        .map((entry) => ({ ...entry, claimedBy: owner, claimedUntil: now + leaseSeconds }))
      for (const entry of claimed) write(entry)
      return claimed
    },
  }
}
