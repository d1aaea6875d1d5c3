import type { ReceiptStore } from '@tollgate/facilitator'
import { type ReceiptRow, toReceiptRecord } from '@tollgate/facilitator/store'
import type pg from 'pg'

/** The receipts migration: one row per payment, signed once. */
export const receiptsMigration = (s: string) => `
CREATE TABLE ${s}.receipts (
  id text PRIMARY KEY,
  payment_id text NOT NULL UNIQUE,
  resource_url text NOT NULL,
  response_hash text,
  created_at bigint NOT NULL,
  jws text,
  kid text,
  issued_at bigint
);`

/** The Store's receipt methods on PostgreSQL: each one statement (insert-if-absent, compare-and-set). */
export function postgresReceipts(pool: pg.Pool, schema: string): ReceiptStore {
  const table = `${schema}.receipts`
  const select = async (column: 'id' | 'payment_id', value: string) =>
    (await pool.query<ReceiptRow>(`SELECT * FROM ${table} WHERE ${column} = $1`, [value])).rows[0]
  return {
    async putReceipt(record) {
      // One statement: the inserted row, or the one that already holds the payment.
      const { rows } = await pool.query<ReceiptRow>(
        `WITH inserted AS (
           INSERT INTO ${table} (id, payment_id, resource_url, created_at)
           VALUES ($1, $2, $3, $4) ON CONFLICT (payment_id) DO NOTHING RETURNING *)
         SELECT * FROM inserted UNION ALL SELECT * FROM ${table} WHERE payment_id = $2 LIMIT 1`,
        [record.id, record.paymentId, record.resourceUrl, record.createdAt.toString()],
      )
      const row = rows[0] ?? (await select('payment_id', record.paymentId))
      if (!row) throw new Error(`receipt of ${record.paymentId} was not kept`)
      return toReceiptRecord(row)
    },
    async getReceipt(id) {
      const row = await select('id', id)
      return row && toReceiptRecord(row)
    },
    async getReceiptOfPayment(paymentId) {
      const row = await select('payment_id', paymentId)
      return row && toReceiptRecord(row)
    },
    async signReceipt(id, { jws, kid, issuedAt, responseHash }) {
      await pool.query(
        `UPDATE ${table} SET jws = $2, kid = $3, issued_at = $4, response_hash = $5 WHERE id = $1 AND jws IS NULL`,
        [id, jws, kid, issuedAt.toString(), responseHash ?? null],
      )
      const row = await select('id', id)
      return row && toReceiptRecord(row)
    },
  }
}
