import type { NewReceiptRecord, ReceiptRecord, ReceiptSignature } from '../receipts/receiptRecord.ts'

/**
 * The receipt port: what each settled payment's receipt needs, one record per payment and one signature
 * per receipt. Adapters pass `receiptConformance` (in `storeConformance`).
 */
export type ReceiptStore = {
  /**
   * Keeps what a payment's receipt needs, once per payment: insert-if-absent on `paymentId` (the
   * first record wins; a later call gets it back unchanged). Of concurrent callers, one writes.
   */
  putReceipt(record: NewReceiptRecord): Promise<ReceiptRecord>
  /** A receipt record by receipt id. */
  getReceipt(id: string): Promise<ReceiptRecord | undefined>
  /** The receipt record of a payment (by ledger entry id). */
  getReceiptOfPayment(paymentId: string): Promise<ReceiptRecord | undefined>
  /**
   * Writes the signature if and only if the record has none yet (compare-and-set: one signature per
   * receipt, whichever node signs first); returns the record as it stands, `undefined` when unknown.
   */
  signReceipt(id: string, signature: ReceiptSignature): Promise<ReceiptRecord | undefined>
}
