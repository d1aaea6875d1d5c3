import type { NewReceiptRecord, ReceiptRecord, ReceiptSignature } from '@tollgate/facilitator'
import { decodeRow, encodeRow } from './rowCodec.ts'
import type { SqlStorage } from './workersTypes.ts'

export const receiptSchema = `
CREATE TABLE IF NOT EXISTS receipts (
  id TEXT PRIMARY KEY,
  payment_id TEXT NOT NULL UNIQUE,
  record TEXT NOT NULL
) WITHOUT ROWID;
`

/** The receipts object's table: one record per payment (first wins), one signature per receipt. */
export function receiptTable(sql: SqlStorage) {
  const one = (column: 'id' | 'payment_id', value: string): ReceiptRecord | undefined => {
    const rows = sql.exec<{ record: string }>(`SELECT record FROM receipts WHERE ${column} = ?`, value).toArray()
    return rows[0] ? decodeRow<ReceiptRecord>(rows[0].record) : undefined
  }
  return {
    putReceipt(record: NewReceiptRecord): ReceiptRecord {
      const existing = one('payment_id', record.paymentId)
      if (existing) return existing
      if (one('id', record.id)) throw new Error(`receipt id ${record.id} is taken`)
      const kept: ReceiptRecord = { ...record }
      sql.exec(
        'INSERT INTO receipts (id, payment_id, record) VALUES (?, ?, ?)',
        kept.id,
        kept.paymentId,
        encodeRow(kept),
      )
      return kept
    },
    getReceipt: (id: string) => one('id', id),
    getReceiptOfPayment: (paymentId: string) => one('payment_id', paymentId),
    signReceipt(id: string, { jws, kid, issuedAt, responseHash }: ReceiptSignature): ReceiptRecord | undefined {
      const record = one('id', id)
      if (!record || record.jws !== undefined) return record
      const signed: ReceiptRecord = {
        ...record,
        jws,
        kid,
        issuedAt,
        ...(responseHash === undefined ? {} : { responseHash }),
      }
      sql.exec('UPDATE receipts SET record = ? WHERE id = ?', encodeRow(signed), id)
      return signed
    },
  }
}
