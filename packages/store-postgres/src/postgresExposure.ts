import type { Exposure, ExposureStore } from '@tollgate/facilitator'
import {
  addToExposure,
  judgeOptimisticDelivery,
  type LedgerRow,
  noExposure,
  openStatesSql,
  toLedgerEntry,
} from '@tollgate/facilitator/store'
import type pg from 'pg'

/**
 * The optimistic delivery migration: the `optimistic` mark, and partial indexes that keep the reads
 * of one payer's or payee's open rows, and of a payer's losses, small whatever the ledger's size.
 */
export const exposureMigration = (s: string) => `
ALTER TABLE ${s}.ledger ADD COLUMN optimistic boolean;
CREATE INDEX ledger_optimistic_payer ON ${s}.ledger (chain_id, lower(payer), state) WHERE optimistic;
CREATE INDEX ledger_optimistic_open_payee ON ${s}.ledger (chain_id, lower(pay_to))
  WHERE optimistic AND state IN ('reserved', 'settling', 'submitted', 'released');`

type AmountRow = { amount: string; state: LedgerRow['state']; n?: string }

const open = openStatesSql

/**
 * The payee's open-exposure index over the states added since (`requested`, `preconfirmed`), as the
 * reads count them.
 */
export const exposureStatesMigration = (s: string) => `
DROP INDEX IF EXISTS ${s}.ledger_optimistic_open_payee;
CREATE INDEX ledger_optimistic_open_payee ON ${s}.ledger (chain_id, lower(pay_to))
  WHERE optimistic AND ${openStatesSql};`
/** Advisory lock classes (the first key of `pg_advisory_xact_lock(int, int)`): a payer's and a payee's exposure. */
const payerLock = 0x7e11
const payeeLock = 0x7e12

/**
 * The Store's exposure methods on PostgreSQL. A decision takes two transaction-scoped advisory locks,
 * the payer's then the payee's (always in that order: no deadlock), reads both sums and writes the
 * row with a compare-and-set, so concurrent takers on any node are decided one after the other.
 */
export function postgresExposure(pool: pg.Pool, schema: string, schemaName: string): ExposureStore {
  const ledger = `${schema}.ledger`
  const sum = (rows: AmountRow[]) => rows.reduce((total, row) => total + BigInt(row.amount), 0n)
  const exposureOf = (rows: AmountRow[]): Exposure =>
    rows.reduce(
      (total, row) => addToExposure(total, { state: row.state, amount: BigInt(row.amount) }, Number(row.n ?? 1)),
      noExposure,
    )
  return {
    async takeOptimisticDelivery(id, parameters) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const found = (await client.query<LedgerRow>(`SELECT * FROM ${ledger} WHERE id = $1`, [id])).rows[0]
        if (!found) {
          await client.query('ROLLBACK')
          return { ok: false, reason: 'state', entry: undefined }
        }
        const { chainId, payer, payTo, asset } = toLedgerEntry(found)
        const key = (party: string) => `${schemaName}:${chainId}:${party.toLowerCase()}`
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [payerLock, key(payer)])
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [payeeLock, key(payTo)])
        // Read again under the locks: the row may have moved while we waited.
        const row = (await client.query<LedgerRow>(`SELECT * FROM ${ledger} WHERE id = $1`, [id])).rows[0]
        if (!row) throw new Error(`ledger row ${id} vanished during takeOptimisticDelivery`)
        const entry = toLedgerEntry(row)
        const amounts = async (column: 'payer' | 'pay_to', party: string) =>
          (
            await client.query<AmountRow>(
              `SELECT amount::text AS amount, state FROM ${ledger} WHERE optimistic AND chain_id = $1
                 AND lower(${column}) = lower($2) AND lower(asset) = lower($3) AND id <> $4 AND ${open}`,
              [chainId, party, asset, id],
            )
          ).rows
        const lost = await client.query(
          `SELECT 1 FROM ${ledger} WHERE optimistic AND chain_id = $1 AND lower(payer) = lower($2)
             AND state IN ('failed', 'expired', 'released') LIMIT 1`,
          [chainId, payer],
        )
        const verdict = judgeOptimisticDelivery(entry, parameters, {
          payerOpen: sum(await amounts('payer', payer)),
          sellerOpen: sum(await amounts('pay_to', payTo)),
          payerLost: (lost.rowCount ?? 0) > 0,
        })
        if (verdict !== true) {
          await client.query('ROLLBACK')
          return verdict === 'again' ? { ok: true, entry } : { ok: false, reason: verdict, entry }
        }
        // Compare-and-set: a transition that moved the row meanwhile (it settled) wins.
        const marked = (
          await client.query<LedgerRow>(
            `UPDATE ${ledger} SET optimistic = true, delivered_to = $1, updated_at = $2
             WHERE id = $3 AND state IN ('settling', 'submitted') AND delivered_to IS NULL RETURNING *`,
            [parameters.claim, parameters.now.toString(), id],
          )
        ).rows[0]
        await client.query('COMMIT')
        if (marked) return { ok: true, entry: toLedgerEntry(marked) }
        const current = (await pool.query<LedgerRow>(`SELECT * FROM ${ledger} WHERE id = $1`, [id])).rows[0]
        return { ok: false, reason: 'state', entry: current && toLedgerEntry(current) }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async exposure(scope) {
      const column = scope.payer === undefined ? 'pay_to' : 'payer'
      const { rows } = await pool.query<AmountRow>(
        `SELECT amount::text AS amount, state FROM ${ledger} WHERE optimistic AND chain_id = $1
           AND lower(${column}) = lower($2) AND lower(asset) = lower($3)`,
        [scope.chainId, scope.payer ?? scope.payTo, scope.asset],
      )
      return exposureOf(rows)
    },
    async exposureTotals() {
      const { rows } = await pool.query<AmountRow>(
        `SELECT sum(amount)::text AS amount, state, count(*)::text AS n FROM ${ledger} WHERE optimistic GROUP BY state`,
      )
      return exposureOf(rows)
    },
  }
}
