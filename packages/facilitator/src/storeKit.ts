/**
 * `@tollgate/facilitator/store`: what a {@link Store} implementation needs beyond the port's types
 * (the legal ledger moves, and the mapping between ledger entries or receipts and table rows).
 *
 * @example
 * import { canTransition, toLedgerEntry } from '@tollgate/facilitator/store'
 */

export { canTransition, ledgerTransitions } from './ledger.ts'
export type { LedgerRow } from './ledgerRow.ts'
export { ledgerPatchColumns, toLedgerEntry } from './ledgerRow.ts'
export type { ReceiptRow } from './receiptRow.ts'
export { toReceiptRecord } from './receiptRow.ts'
export { ledgerPatchKeys } from './store.ts'
