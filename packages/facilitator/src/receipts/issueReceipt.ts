import {
  offerReceiptExtension,
  offerReceiptVersion,
  type ReceiptClaims,
  receiptInfoSchema,
  type SettleResponse,
  type SignedReceipt,
} from '@tollgate/protocol'
import type { Hex } from 'viem'
import type { Facilitator } from '../createFacilitator.ts'
import { readSettlementGasSpent } from '../policy/settlementGasSpent.ts'
import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'
import type { ReceiptStore } from '../store/receiptStore.ts'
import type { ReceiptSigner } from './createReceiptSigner.ts'
import { newReceiptId, type ReceiptRecord } from './receiptRecord.ts'

/** Where a payment stands, as a receipt lookup reports it. */
export type ReceiptState = 'pending' | 'settled' | 'failed'

/** The state of a ledger entry for a receipt: settled, failed (failed or expired), else pending. */
export function receiptStateOf(entry: LedgerEntry): ReceiptState {
  if (entry.state === 'settled') return 'settled'
  if (entry.state === 'failed' || entry.state === 'expired' || entry.state === 'released') return 'failed'
  return 'pending'
}

/** The claims of a settled payment's receipt (see `receiptClaimsSchema`). */
export function receiptClaims(
  entry: LedgerEntry,
  record: ReceiptRecord,
  issuedAt: bigint,
  responseHash?: Hex,
): ReceiptClaims {
  return {
    version: offerReceiptVersion,
    network: entry.network,
    resourceUrl: record.resourceUrl,
    payer: entry.payer,
    issuedAt: Number(issuedAt),
    transaction: entry.transaction ?? '',
    receiptId: record.id,
    payTo: entry.payTo,
    asset: entry.asset,
    amount: entry.amount.toString(),
    blockNumber: (entry.blockNumber ?? 0n).toString(),
    ...(responseHash ? { responseHash } : {}),
  }
}

/**
 * The record of a settled payment, signed: the one already issued, or a new signature (one wins
 * across nodes, compare-and-set in the Store). `responseHash`: the delivering call's, if any.
 */
export async function signedRecord(
  store: ReceiptStore,
  signer: ReceiptSigner,
  entry: LedgerEntry,
  record: ReceiptRecord,
  issuedAt: bigint,
  responseHash?: Hex,
): Promise<ReceiptRecord> {
  if (record.jws !== undefined || entry.state !== 'settled') return record
  const jws = await signer.sign(receiptClaims(entry, record, issuedAt, responseHash))
  const signed = await store.signReceipt(record.id, {
    jws,
    kid: signer.kid,
    issuedAt,
    ...(responseHash ? { responseHash } : {}),
  })
  return signed ?? record
}

/** The `offer-receipt` extension of a settle answer: the signed receipt (when issued) and its id. */
export function receiptExtension(record: ReceiptRecord): Record<string, unknown> {
  const receipt: SignedReceipt | undefined = record.jws ? { format: 'jws', signature: record.jws } : undefined
  return {
    [offerReceiptExtension]: receipt
      ? { info: { receipt, receiptId: record.id }, schema: receiptInfoSchema }
      : { info: { receiptId: record.id } },
  }
}

/**
 * Adds the receipt to a `/settle` answer (extension `offer-receipt`): for a settled payment the
 * signed receipt, for a pending one its id (the receipt is issued once it settles, see
 * `lookupReceipt`). A failed settlement, one delivered to another request, or a request that names
 * no resource gets none. A Store fault leaves the answer as it was (the payment itself is not
 * affected) and is logged.
 */
export async function attachReceipt(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
  response: SettleResponse,
): Promise<SettleResponse> {
  const { receipts: signer, store } = facilitator
  if (!signer || !request.resourceUrl) return response
  const pending = !response.success && response.errorReason === 'settlement_pending'
  if (!response.success && !pending) return response
  try {
    let entry = await store.get(request.id)
    // Another authorization of the same payment (payment-identifier) was the one settled.
    if (entry?.state !== 'settled' && request.paymentKey) {
      entry = (await store.findPayment(request.paymentKey)) ?? entry
    }
    if (!entry) return response
    const now = facilitator.now()
    let record = await store.putReceipt({
      id: newReceiptId(),
      paymentId: entry.id,
      resourceUrl: request.resourceUrl,
      createdAt: now,
    })
    if (response.success) record = await signedRecord(store, signer, entry, record, now, request.responseHash)
    return { ...response, extensions: { ...(response.extensions ?? {}), ...receiptExtension(record) } }
  } catch (error) {
    facilitator.logError(error)
    return response
  }
}

/** What `GET /receipts/:id` answers. */
export type ReceiptLookup = {
  id: string
  state: ReceiptState
  /** The signed receipt, once the payment settled. */
  receipt?: SignedReceipt
  resourceUrl: string
  network: string
  payer: string
  payTo: string
  asset: string
  /** Atomic units, decimal string. */
  amount: string
  transaction?: string
  blockNumber?: string
  errorReason?: string
  /**
   * The gas spent for this payment, once settled: its share of its transaction (measured from the
   * receipt: gas used and fee in wei, divided by the payments the transaction carried). Absent when
   * the receipt cannot be read now.
   */
  gas?: { payments: number; gasUsed: string; feeWei: string; transactionGasUsed: string }
  /**
   * `'optimistic'` when the payment was delivered before its settlement was included: while `pending`
   * it is the seller's exposure; `failed` then means the delivery is recorded as a loss (`loss: true`).
   */
  delivery?: 'optimistic'
  loss?: true
}

/**
 * A receipt by id, with the payment's current state; a payment that settled since its `/settle` was
 * answered (pending, finished by the engine or the reconciler) is signed now. `undefined` when unknown.
 * The caller checks who may see it (the payee, `payTo`).
 */
export async function lookupReceipt(facilitator: Facilitator, id: string): Promise<ReceiptLookup | undefined> {
  const { store, receipts: signer } = facilitator
  let record = await store.getReceipt(id)
  if (!record) return undefined
  const entry = await store.get(record.paymentId)
  if (!entry) return undefined
  if (signer) record = await signedRecord(store, signer, entry, record, facilitator.now())
  const state = receiptStateOf(entry)
  const client = facilitator.networks.get(entry.network)?.client
  const spent =
    state === 'settled' && entry.transaction && client
      ? await readSettlementGasSpent(client, { transaction: entry.transaction, asset: entry.asset })
      : undefined
  return {
    id: record.id,
    state,
    ...(record.jws ? { receipt: { format: 'jws', signature: record.jws } } : {}),
    resourceUrl: record.resourceUrl,
    network: entry.network,
    payer: entry.payer,
    payTo: entry.payTo,
    asset: entry.asset,
    amount: entry.amount.toString(),
    ...(entry.transaction ? { transaction: entry.transaction } : {}),
    ...(entry.blockNumber === undefined ? {} : { blockNumber: entry.blockNumber.toString() }),
    ...(state === 'failed'
      ? { errorReason: entry.errorCode ?? (entry.state === 'expired' ? 'expired' : entry.state) }
      : {}),
    ...(spent
      ? {
          gas: {
            payments: spent.payments,
            gasUsed: String(spent.gasPerPayment),
            feeWei: String(spent.feePerPayment),
            transactionGasUsed: String(spent.gasUsed),
          },
        }
      : {}),
    ...(entry.optimistic
      ? { delivery: 'optimistic' as const, ...(state === 'failed' ? { loss: true as const } : {}) }
      : {}),
  }
}

/**
 * Signs the receipt of a payment that has just settled outside a `/settle` call (the reconciler
 * finished it), when a receipt was asked for: pass it as the reconciler's `onSettled`. Nothing when
 * receipts are off, none was asked for, or it is signed already.
 */
export async function issuePendingReceipt(facilitator: Facilitator, entry: LedgerEntry): Promise<void> {
  const { store, receipts: signer } = facilitator
  if (!signer || entry.state !== 'settled') return
  const record = await store.getReceiptOfPayment(entry.id)
  if (record && record.jws === undefined) await signedRecord(store, signer, entry, record, facilitator.now())
}
