import type { Exposure, ExposureScope, LedgerEntry, OptimisticDeliveryParameters } from '@tollgate/facilitator'
import { addToExposure, judgeOptimisticDelivery, noExposure } from '@tollgate/facilitator/store'
import { decodeRow } from './rowCodec.ts'
import type { SqlStorage } from './workersTypes.ts'

/**
 * What a payee object keeps: a hold per optimistic delivery it allowed, open until its row is final. `takers`
 * counts the requests deciding on the hold now; an unmarked hold is removed when the last one gives up.
 */
export const exposureSchema = `
CREATE TABLE IF NOT EXISTS exposure_holds (
  id TEXT PRIMARY KEY,
  amount TEXT NOT NULL,
  takers INTEGER NOT NULL,
  marked INTEGER NOT NULL,
  open INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
`

// Released (given back, then released by its holder) is a loss too: nothing will settle it.
const final = new Set(['settled', 'failed', 'expired', 'released'])
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()

/** The verdict of the payer's side of an optimistic delivery (`sellerOpen` is the payee object's). */
export type PayerVerdict = ReturnType<typeof judgeOptimisticDelivery>

/**
 * The payer's side of optimistic delivery, in the payer's ledger shard: the shard holds every row of one payer on
 * one chain, so its open amount and its losses are read and the row marked with no `await` in between (atomic).
 */
export function payerExposure(sql: SqlStorage, read: (id: string) => LedgerEntry | undefined) {
  const optimisticRows = () =>
    sql
      .exec<{ entry: string }>('SELECT entry FROM ledger')
      .toArray()
      .map((row) => decodeRow<LedgerEntry>(row.entry))
      .filter((entry) => entry.optimistic === true)
  const judge = (entry: LedgerEntry, parameters: OptimisticDeliveryParameters): PayerVerdict => {
    const mine = optimisticRows().filter((row) => row.chainId === entry.chainId && same(row.payer, entry.payer))
    const payerOpen = mine
      .filter((row) => row.id !== entry.id && same(row.asset, entry.asset) && !final.has(row.state))
      .reduce((total, row) => total + row.amount, 0n)
    const payerLost = mine.some((row) => row.state !== 'settled' && final.has(row.state))
    return judgeOptimisticDelivery(entry, parameters, { payerOpen, sellerOpen: 0n, payerLost })
  }
  return {
    /** The payer's verdict without writing (`undefined` entry: no such row). */
    judge(id: string, parameters: OptimisticDeliveryParameters) {
      const entry = read(id)
      return { entry, verdict: entry ? judge(entry, parameters) : ('state' as const) }
    },
    /** The payer's verdict again, and the mark when it allows (the payee's hold is taken already). */
    take(id: string, parameters: OptimisticDeliveryParameters, write: (entry: LedgerEntry) => void) {
      const entry = read(id)
      if (!entry) return { ok: false as const, reason: 'state' as const, entry: undefined }
      const verdict = judge(entry, parameters)
      if (verdict === 'again') return { ok: true as const, entry }
      if (verdict !== true) return { ok: false as const, reason: verdict, entry }
      const marked: LedgerEntry = {
        ...entry,
        optimistic: true,
        deliveredTo: parameters.claim,
        updatedAt: parameters.now,
      }
      write(marked)
      return { ok: true as const, entry: marked }
    },
    /** This shard's optimistic rows in `scope` (every row when none), summed. */
    exposure(scope: ExposureScope | undefined): Exposure {
      return optimisticRows()
        .filter(
          (row) =>
            scope === undefined ||
            (row.chainId === scope.chainId &&
              same(row.asset, scope.asset) &&
              (scope.payer === undefined ? same(row.payTo, scope.payTo) : same(row.payer, scope.payer))),
        )
        .reduce((total, row) => addToExposure(total, row), noExposure)
    },
  }
}

/**
 * The payee's side, in one object per payee, chain and asset: the holds of its open optimistic deliveries, so
 * concurrent takers from any payer are decided one after the other. A hold is closed when its row is final; one
 * left open by a crash only over-counts (the seller risks less, never more) until `openHolds` is checked again.
 */
export function payeeExposure(sql: SqlStorage) {
  const hold = (id: string) =>
    sql
      .exec<{ takers: number; marked: number }>('SELECT takers, marked FROM exposure_holds WHERE id = ?', id)
      .toArray()[0]
  return {
    /** Takes (or joins) the hold of `id` if the payee's open amount, `amount` included, stays within `max`. */
    hold(id: string, amount: bigint, max: bigint, now: bigint): boolean {
      if (hold(id)) {
        sql.exec('UPDATE exposure_holds SET takers = takers + 1 WHERE id = ?', id)
        return true
      }
      const open = sql
        .exec<{ amount: string }>('SELECT amount FROM exposure_holds WHERE open = 1')
        .toArray()
        .reduce((total, row) => total + BigInt(row.amount), 0n)
      if (open + amount > max) return false
      sql.exec(
        'INSERT INTO exposure_holds (id, amount, takers, marked, open, created_at) VALUES (?, ?, 1, 0, 1, ?)',
        id,
        amount.toString(),
        Number(now),
      )
      return true
    },
    /** A taker is done: `marked` when its row now carries the delivery (the hold then stays until the row is final). */
    leave(id: string, marked: boolean): void {
      sql.exec(
        'UPDATE exposure_holds SET takers = max(takers - 1, 0), marked = max(marked, ?) WHERE id = ?',
        marked ? 1 : 0,
        id,
      )
      sql.exec('DELETE FROM exposure_holds WHERE id = ? AND takers = 0 AND marked = 0', id)
    },
    /** The row of `id` is final: its amount no longer counts. */
    close(id: string): void {
      sql.exec('UPDATE exposure_holds SET open = 0 WHERE id = ?', id)
    },
    /** The oldest open holds nobody is deciding on now (to check against their rows). */
    openHolds(limit: number): string[] {
      return sql
        .exec<{ id: string }>(
          'SELECT id FROM exposure_holds WHERE open = 1 AND takers = 0 ORDER BY created_at, id LIMIT ?',
          limit,
        )
        .toArray()
        .map((row) => row.id)
    },
  }
}
