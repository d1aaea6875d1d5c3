import type { Store } from '@tollgate/facilitator'
import { type ReceiptRow, toReceiptRecord } from '@tollgate/facilitator/store'
import type Database from 'better-sqlite3'

/** Schema version 5: receipts (one per payment; signed once). */
export const receiptsSchema = `
CREATE TABLE IF NOT EXISTS receipts (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL UNIQUE,
  resource_url TEXT NOT NULL,
  response_hash TEXT,
  created_at INTEGER NOT NULL,
  jws TEXT,
  kid TEXT,
  issued_at INTEGER
) WITHOUT ROWID;
`

/** The Store's receipt methods on SQLite: an insert-if-absent on the payment, a compare-and-set signature. */
export function sqliteReceipts(
  db: Database.Database,
): Pick<Store, 'putReceipt' | 'getReceipt' | 'getReceiptOfPayment' | 'signReceipt'> {
  const insert = db.prepare(
    `INSERT INTO receipts (id, payment_id, resource_url, created_at)
     VALUES (@id, @paymentId, @resourceUrl, @createdAt) ON CONFLICT (payment_id) DO NOTHING`,
  )
  const byId = db.prepare<[string], ReceiptRow>('SELECT * FROM receipts WHERE id = ?').safeIntegers(true)
  const byPayment = db.prepare<[string], ReceiptRow>('SELECT * FROM receipts WHERE payment_id = ?').safeIntegers(true)
  const sign = db.prepare(
    `UPDATE receipts SET jws = @jws, kid = @kid, issued_at = @issuedAt, response_hash = @responseHash
     WHERE id = @id AND jws IS NULL`,
  )
  return {
    async putReceipt(record) {
      insert.run({
        id: record.id,
        paymentId: record.paymentId,
        resourceUrl: record.resourceUrl,
        createdAt: record.createdAt,
      })
      const row = byPayment.get(record.paymentId)
      if (!row) throw new Error(`receipt of ${record.paymentId} was not kept`)
      return toReceiptRecord(row)
    },
    async getReceipt(id) {
      const row = byId.get(id)
      return row && toReceiptRecord(row)
    },
    async getReceiptOfPayment(paymentId) {
      const row = byPayment.get(paymentId)
      return row && toReceiptRecord(row)
    },
    async signReceipt(id, { jws, kid, issuedAt, responseHash }) {
      sign.run({ id, jws, kid, issuedAt, responseHash: responseHash ?? null })
      const row = byId.get(id)
      return row && toReceiptRecord(row)
    },
  }
}
