import type { ReceiptRecord } from './receiptRecord.ts'

/** A `receipts` table row as SQL adapters read it (integers as bigint or as decimal strings). */
export type ReceiptRow = {
  id: string
  payment_id: string
  resource_url: string
  response_hash: string | null
  created_at: bigint | string
  jws: string | null
  kid: string | null
  issued_at: bigint | string | null
}

/** The receipt record of a `receipts` row; absent columns stay absent. */
export function toReceiptRecord(row: ReceiptRow): ReceiptRecord {
  const record: ReceiptRecord = {
    id: row.id,
    paymentId: row.payment_id,
    resourceUrl: row.resource_url,
    createdAt: BigInt(row.created_at),
  }
  if (row.response_hash !== null) record.responseHash = row.response_hash as `0x${string}`
  if (row.jws !== null) record.jws = row.jws
  if (row.kid !== null) record.kid = row.kid
  if (row.issued_at !== null) record.issuedAt = BigInt(row.issued_at)
  return record
}
