import type { Exposure, Store } from '@tollgate/facilitator'
import {
  addToExposure,
  judgeOptimisticDelivery,
  type LedgerRow,
  noExposure,
  openStatesSql,
  toLedgerEntry,
} from '@tollgate/facilitator/store'
import type Database from 'better-sqlite3'

/**
 * Schema version 7: optimistic delivery. `optimistic` marks a row delivered before its settlement was
 * included; the partial indexes keep the reads of one payer's or payee's open rows, and of a payer's
 * losses, small whatever the ledger's size.
 */
export const exposureSchema = `
ALTER TABLE ledger ADD COLUMN optimistic INTEGER;
CREATE INDEX IF NOT EXISTS ledger_optimistic_payer ON ledger (chain_id, lower(payer), state) WHERE optimistic = 1;
CREATE INDEX IF NOT EXISTS ledger_optimistic_open_payee ON ledger (chain_id, lower(pay_to))
  WHERE optimistic = 1 AND state IN ('reserved', 'settling', 'submitted', 'released');
`

type AmountRow = { amount: string; state: LedgerRow['state'] }

const open = openStatesSql

/**
 * Schema version 8: the payee's open-exposure index covers the states added since (`requested`,
 * `preconfirmed`), as the reads do.
 */
export const exposureSchemaV8 = `
DROP INDEX IF EXISTS ledger_optimistic_open_payee;
CREATE INDEX IF NOT EXISTS ledger_optimistic_open_payee ON ledger (chain_id, lower(pay_to))
  WHERE optimistic = 1 AND ${openStatesSql};
`

/**
 * The Store's exposure methods on SQLite: the decision reads and writes in one immediate transaction,
 * so concurrent takers (this process or another sharing the file) are decided one after the other.
 */
export function sqliteExposure(
  db: Database.Database,
): Pick<Store, 'takeOptimisticDelivery' | 'exposure' | 'exposureTotals'> {
  const selectOne = db.prepare<[string], LedgerRow>('SELECT * FROM ledger WHERE id = ?')
  const payerOpen = db.prepare<[number, string, string, string], AmountRow>(
    `SELECT amount, state FROM ledger WHERE optimistic = 1 AND chain_id = ? AND lower(payer) = lower(?)
       AND lower(asset) = lower(?) AND id <> ? AND ${open}`,
  )
  const payeeOpen = db.prepare<[number, string, string, string], AmountRow>(
    `SELECT amount, state FROM ledger WHERE optimistic = 1 AND chain_id = ? AND lower(pay_to) = lower(?)
       AND lower(asset) = lower(?) AND id <> ? AND ${open}`,
  )
  const payerLost = db.prepare<[number, string], { lost: number }>(
    `SELECT 1 AS lost FROM ledger WHERE optimistic = 1 AND chain_id = ? AND lower(payer) = lower(?)
       AND state IN ('failed', 'expired', 'released') LIMIT 1`,
  )
  const mark = db.prepare<[string, bigint, string], LedgerRow>(
    `UPDATE ledger SET optimistic = 1, delivered_to = ?, updated_at = ? WHERE id = ? RETURNING *`,
  )
  const ofPayer = db.prepare<[number, string, string], AmountRow>(
    `SELECT amount, state FROM ledger WHERE optimistic = 1 AND chain_id = ? AND lower(payer) = lower(?)
       AND lower(asset) = lower(?)`,
  )
  const ofPayee = db.prepare<[number, string, string], AmountRow>(
    `SELECT amount, state FROM ledger WHERE optimistic = 1 AND chain_id = ? AND lower(pay_to) = lower(?)
       AND lower(asset) = lower(?)`,
  )
  const all = db.prepare<[], AmountRow>('SELECT amount, state FROM ledger WHERE optimistic = 1')
  const sum = (rows: AmountRow[]) => rows.reduce((total, row) => total + BigInt(row.amount), 0n)
  const exposureOf = (rows: AmountRow[]): Exposure =>
    rows.reduce((total, row) => addToExposure(total, { state: row.state, amount: BigInt(row.amount) }), noExposure)

  const take = db.transaction((id: string, parameters: Parameters<Store['takeOptimisticDelivery']>[1]) => {
    const row = selectOne.get(id)
    if (!row) return { ok: false as const, reason: 'state' as const, entry: undefined }
    const entry = toLedgerEntry(row)
    const { chainId, payer, payTo, asset } = entry
    const verdict = judgeOptimisticDelivery(entry, parameters, {
      payerOpen: sum(payerOpen.all(chainId, payer, asset, id)),
      sellerOpen: sum(payeeOpen.all(chainId, payTo, asset, id)),
      payerLost: payerLost.get(chainId, payer) !== undefined,
    })
    if (verdict === 'again') return { ok: true as const, entry }
    if (verdict !== true) return { ok: false as const, reason: verdict, entry }
    const marked = mark.get(parameters.claim, parameters.now, id)
    if (!marked) throw new Error(`ledger row ${id} vanished during takeOptimisticDelivery`)
    return { ok: true as const, entry: toLedgerEntry(marked) }
  })

  return {
    async takeOptimisticDelivery(id, parameters) {
      return take.immediate(id, parameters)
    },
    async exposure(scope) {
      const rows =
        scope.payer === undefined
          ? ofPayee.all(scope.chainId, scope.payTo, scope.asset)
          : ofPayer.all(scope.chainId, scope.payer, scope.asset)
      return exposureOf(rows)
    },
    async exposureTotals() {
      return exposureOf(all.all())
    },
  }
}
