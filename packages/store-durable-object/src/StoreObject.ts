import { DurableObject } from 'cloudflare:workers'
import type {
  AcquireSignerParameters,
  AuditHead,
  AuditRecord,
  ClaimParameters,
  ExposureScope,
  LedgerState,
  ListParameters,
  NewLedgerEntry,
  NewReceiptRecord,
  OptimisticDeliveryParameters,
  ReceiptSignature,
  ReleaseSignerParameters,
  SignerFence,
  StoredTransaction,
  TransitionParameters,
} from '@tollgate/facilitator'
import { auditSchema, auditTable } from './auditTable.ts'
import { directorySchema, directoryTable } from './directoryTable.ts'
import { exposureSchema, payeeExposure, payerExposure } from './exposureTable.ts'
import { ledgerSchema, ledgerTable, type SwapDeliveryParameters } from './ledgerTable.ts'
import { receiptSchema, receiptTable } from './receiptTable.ts'
import { signerSchema, signerTable } from './signerTable.ts'
import type { DurableObjectState } from './workersTypes.ts'

/**
 * The Store's Durable Object class (SQLite storage: `new_sqlite_classes` in wrangler.toml). One class, several
 * roles by object name (see `createDurableObjectStore`): a ledger shard per payer, one object per signer key (its
 * lease and journal), one per payee's optimistic exposure, the receipts, the audit trail and the directory. Every method is synchronous on the object's
 * SQLite, so each is atomic; the object never awaits I/O. Errors are values, never thrown across RPC.
 *
 * @example
 * // worker.ts: export the class for its binding
 * export { StoreObject } from '@tollgate/store-durable-object'
 */
export class StoreObject extends DurableObject {
  readonly #ledger
  readonly #signer
  readonly #receipts
  readonly #audit
  readonly #directory
  readonly #payer
  readonly #payee

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env)
    const { sql } = ctx.storage
    sql.exec(ledgerSchema + signerSchema + receiptSchema + auditSchema + directorySchema + exposureSchema)
    this.#ledger = ledgerTable(sql)
    this.#signer = signerTable(sql)
    this.#receipts = receiptTable(sql)
    this.#audit = auditTable(sql)
    this.#directory = directoryTable(sql)
    this.#payer = payerExposure(sql, this.#ledger.get)
    this.#payee = payeeExposure(sql)
  }

  // ---- ledger shard ----
  reserve(entry: NewLedgerEntry) {
    return this.#ledger.reserve(entry)
  }
  get(id: string) {
    return this.#ledger.get(id)
  }
  transition(id: string, parameters: TransitionParameters) {
    return this.#ledger.transition(id, parameters)
  }
  swapDelivery(id: string, parameters: SwapDeliveryParameters) {
    return this.#ledger.swapDelivery(id, parameters)
  }
  findPayment(paymentKey: string) {
    return this.#ledger.findPayment(paymentKey)
  }
  list(parameters: ListParameters) {
    return this.#ledger.list(parameters)
  }
  oldestClaimable(states: readonly LedgerState[], now: bigint) {
    return this.#ledger.oldestClaimable(states, now)
  }
  claim(parameters: ClaimParameters) {
    return this.#ledger.claim(parameters)
  }
  judgeOptimistic(id: string, parameters: OptimisticDeliveryParameters) {
    return this.#payer.judge(id, parameters)
  }
  takeOptimistic(id: string, parameters: OptimisticDeliveryParameters) {
    return this.#payer.take(id, parameters, this.#ledger.put)
  }
  exposureOf(scope: ExposureScope | undefined) {
    return this.#payer.exposure(scope)
  }
  // ---- payee exposure ----
  holdExposure(id: string, amount: bigint, max: bigint, now: bigint) {
    return this.#payee.hold(id, amount, max, now)
  }
  leaveExposure(id: string, marked: boolean) {
    this.#payee.leave(id, marked)
  }
  closeExposure(id: string) {
    this.#payee.close(id)
  }
  openExposureHolds(limit: number) {
    return this.#payee.openHolds(limit)
  }
  // ---- signer ----
  acquireSigner(parameters: AcquireSignerParameters) {
    return this.#signer.acquireSigner(parameters)
  }
  releaseSigner(parameters: ReleaseSignerParameters) {
    this.#signer.releaseSigner(parameters)
  }
  saveTransaction(transaction: StoredTransaction, fence: SignerFence | undefined) {
    return this.#signer.saveTransaction(transaction, fence)
  }
  getTransaction(hash: string) {
    return this.#signer.getTransaction(hash)
  }
  // ---- receipts ----
  putReceipt(record: NewReceiptRecord) {
    return this.#receipts.putReceipt(record)
  }
  getReceipt(id: string) {
    return this.#receipts.getReceipt(id)
  }
  getReceiptOfPayment(paymentId: string) {
    return this.#receipts.getReceiptOfPayment(paymentId)
  }
  signReceipt(id: string, signature: ReceiptSignature) {
    return this.#receipts.signReceipt(id, signature)
  }
  // ---- audit ----
  appendAudit(records: readonly AuditRecord[], head: AuditHead | undefined) {
    return this.#audit.append(records, head)
  }
  auditHead() {
    return this.#audit.head()
  }
  readAudit(afterSeq: number, limit: number) {
    return this.#audit.read(afterSeq, limit)
  }
  // ---- directory ----
  addShard(shard: string, paymentKey: string | undefined) {
    this.#directory.addShard(shard, paymentKey)
  }
  addSigner(name: string) {
    this.#directory.addSigner(name)
  }
  shards() {
    return this.#directory.shards()
  }
  signers() {
    return this.#directory.signers()
  }
  shardsOfPayment(paymentKey: string) {
    return this.#directory.shardsOfPayment(paymentKey)
  }
}
