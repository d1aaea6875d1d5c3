/**
 * `@tollgate/facilitator/store`: what a {@link Store} implementation needs beyond the port's types
 * (the legal ledger moves, and the mapping between ledger entries or receipts and table rows).
 *
 * @example
 * import { canTransition, toLedgerEntry } from '@tollgate/facilitator/store'
 */

export type { ReceiptRow } from './receipts/receiptRow.ts'
export { toReceiptRecord } from './receipts/receiptRow.ts'
export { addToExposure, judgeOptimisticDelivery, noExposure, openStatesSql } from './store/exposureStore.ts'
export { canTransition, ledgerTransitions } from './store/ledger.ts'
export type { LedgerRow } from './store/ledgerRow.ts'
export { ledgerPatchColumns, toLedgerEntry } from './store/ledgerRow.ts'
export { ledgerPatchKeys } from './store/ledgerStore.ts'
