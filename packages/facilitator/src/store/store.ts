import type { AuditStore } from './auditStore.ts'
import type { ExposureStore } from './exposureStore.ts'
import type { LeaseStore } from './leaseStore.ts'
import type { LedgerStore } from './ledgerStore.ts'
import type { ReceiptStore } from './receiptStore.ts'
import type { TransactionStore } from './transactionStore.ts'

/**
 * The facilitator's storage: the ledger, the signer leases, the transaction journal, the receipts, the
 * optimistic exposure and the screening audit trail, each a port of its own, in one adapter (memory, SQLite, PostgreSQL) that
 * passes {@link storeConformance}. A module that needs one of them takes that port only.
 *
 * @see architecture.md (The ledger)
 */
export type Store = LedgerStore &
  LeaseStore &
  TransactionStore &
  ReceiptStore &
  ExposureStore & {
    /** The screening decisions' audit trail: append-only, hash-chained. */
    readonly audit: AuditStore
    /** Releases the adapter's resources. */
    close(): Promise<void>
  }
