import {
  eip3009Abi,
  findAuthorizationUse,
  hasTransferLog,
  isAuthorizationUsedIn,
  type MinedTransaction,
  movesPayment,
  type PaymentTerms,
} from '@tollgate/evm'
import type { Client, Hex } from 'viem'
import { getBlockNumber, getTransaction, getTransactionReceipt, readContract } from 'viem/actions'
import { type Failure, type SpentNonce, spentElsewhere } from '../store/ledger.ts'

/** A mined transaction as the judgement reads it: its receipt (status, logs), hash and block, and its call when known. */
export type MinedSettlement = MinedTransaction & { hash: Hex; blockNumber: bigint }

/**
 * What the chain says about the payment's authorization (the payer's EIP-3009 nonce), beyond our receipt:
 * - `unspent`: the token's `authorizationState(payer, nonce)` is false;
 * - `used`: spent, and `by` is the transaction holding its `AuthorizationUsed(payer, nonce)`;
 * - `canceled`: the payer burnt it (`AuthorizationCanceled`): nothing was paid;
 * - `unreachable`: spent, but neither log is within reach (or the read failed part way).
 */
export type AuthorizationOnChain =
  | { state: 'unspent' }
  | { state: 'used'; by: MinedSettlement }
  | { state: 'canceled' }
  | { state: 'unreachable' }

export type JudgeSettlementParameters = {
  /** The payment's terms: its ledger row. */
  payment: PaymentTerms
  /**
   * Our settlement transaction, mined (the row's, or a replacement at the same signer nonce);
   * absent when there is no receipt (not mined, or no transaction of ours).
   */
  receipt?: MinedSettlement | undefined
  /** What the chain says of the authorization; absent when not read yet. */
  authorization?: AuthorizationOnChain | undefined
}

/**
 * What to record, each verdict one ledger move made by the caller:
 * - `settled`: `recordSettled` with the block and the hash that landed (our receipt moved the payment);
 * - `failed`: `recordFailed` from `submitted` (our transaction was mined and did not pay it, for good);
 *   `spentByUs` tells whether our call spent the authorization (then the payer's state is not to blame);
 * - `spent`: `recordSpentNonce` (the nonce was spent by another transaction: settled with it when it
 *   moved exactly this payment, else failed with `invalid_exact_evm_nonce_already_used`);
 * - `pending`: nothing to record now (not mined yet, or spent by a transaction not in reach): ask again;
 * - `read`: the receipt alone does not decide: read the authorization ({@link authorizationOnChain}) and judge again.
 */
export type JudgeSettlementReturnType =
  | { verdict: 'settled'; blockNumber: bigint; transaction: Hex }
  | { verdict: 'failed'; failure: Failure & { blockNumber: bigint; transaction: Hex }; spentByUs: boolean }
  | { verdict: 'spent'; spent: SpentNonce }
  | { verdict: 'pending' }
  | { verdict: 'read' }

/** Whether a mined transaction paid exactly this payment, with the `Transfer` of the exact amount in it. */
const pays = (transaction: MinedTransaction, payment: PaymentTerms) =>
  movesPayment(transaction, payment) &&
  hasTransferLog(transaction.logs, {
    asset: payment.asset,
    from: payment.payer,
    to: payment.payTo,
    value: payment.amount,
  })

const canceledMessage = 'The payer cancelled the authorization on chain.'

/** A verdict that needs nothing more read. */
type Decided = Exclude<JudgeSettlementReturnType, { verdict: 'read' }>

/**
 * The one judgement of "did this settlement land, and did it pay this row?", for `/settle`
 * (`settlementOutcome.ts`: `confirm`, and `recordSpent` on its front-run path) and the reconciler
 * (`createReconciler.ts`: a receipt, or an authorization found spent) alike. Pure: given the row, our receipt (if any) and
 * what the chain says of the authorization, it answers what to record; the callers make the ledger
 * move. The rule is: never pay twice, never lose a payment, and never count a payment without a
 * `Transfer(payer, payTo, amount)` of the asset in the transaction that spent its nonce.
 *
 * | our receipt | authorization on chain | verdict |
 * | --- | --- | --- |
 * | success, spent this nonce, `movesPayment` and the exact `Transfer` | (not read) | `settled` with the receipt's block and hash |
 * | success, spent this nonce, no exact `Transfer` | (not read) | `failed` `invalid_exact_evm_transfer_event_mismatch` |
 * | reverted, or this payment's call failed (a batch), or none | not read | `read` |
 * | mined without spending it | unspent | `failed` `invalid_exact_evm_transaction_failed` |
 * | none | unspent | `pending` (the caller decides whether it can still land) |
 * | any but ours spending it | used by a transaction that pays it (exact `Transfer`) | `spent`, paid: settled with that transaction |
 * | any but ours spending it | used by one that does not | `spent`, not paid: failed `invalid_exact_evm_nonce_already_used` |
 * | any but ours spending it | canceled | `spent`, not paid |
 * | any but ours spending it | unreachable | `pending` |
 *
 * Where the two callers differed before, the choice and why:
 * - *Paid by another transaction*: the reconciler settled on `movesPayment` alone, which also accepts a
 *   transaction that merely carries the authorization; now a spending transaction counts only with the
 *   exact `Transfer` too (never count a payment without it).
 * - *Our transaction spent the nonce without the exact `Transfer`*: `/settle` failed it
 *   (`transfer_event_mismatch`), the reconciler looked the spender up (finding our own transaction) and
 *   settled it when the call carried the authorization, else failed it `nonce_already_used` as if the
 *   payer had spent it elsewhere; now it fails with `transfer_event_mismatch`, our transaction and block, as `/settle` did.
 * - *Mined without spending it, authorization unspent* (reverted, or this payment's call of a
 *   Multicall3 batch failed while the batch succeeded): the reconciler recorded `transfer_event_mismatch`
 *   for a successful batch; now `transaction_failed` as `/settle` did: no transfer was attempted to mismatch.
 * - *The nonce spent but the spender not found* (logs out of reach, or the read failing): `/settle`
 *   recorded `transaction_failed`, which loses a payment that someone else's transaction did make;
 *   now `pending`, as the reconciler did: `/settle` answers `settlement_pending` and the reconciler decides. `/settle` also never looked for the
 *   payer's `AuthorizationCanceled`; now a cancelled authorization fails with `nonce_already_used`.
 * - *The hash recorded*: always the one that landed (the receipt's, or the spender's), as `/settle` did.
 *
 * @example
 * import { judgeSettlement } from './judgeSettlement.ts'
 * import { recordSettled } from '../store/ledger.ts'
 * const judged = judgeSettlement({ payment: entry, receipt, authorization })
 * if (judged.verdict === 'settled') await recordSettled(store, entry.id, judged, { now })
 * @see architecture.md (The ledger); movesPayment.ts
 */
export function judgeSettlement({
  payment,
  receipt,
  authorization,
}: JudgeSettlementParameters): JudgeSettlementReturnType {
  return (
    byReceipt(payment, receipt) ??
    (authorization ? byAuthorization(payment, receipt, authorization) : { verdict: 'read' })
  )
}

/** The verdict of our receipt alone, when our transaction spent this very authorization. */
function byReceipt(payment: PaymentTerms, receipt: MinedSettlement | undefined): Decided | undefined {
  // In a batch several payments share the receipt: this one's own `AuthorizationUsed` tells them apart.
  if (!receipt?.success || !isAuthorizationUsedIn(receipt.logs, payment)) return undefined
  if (pays(receipt, payment)) {
    return { verdict: 'settled', blockNumber: receipt.blockNumber, transaction: receipt.hash }
  }
  const failure = {
    errorCode: 'invalid_exact_evm_transfer_event_mismatch',
    blockNumber: receipt.blockNumber,
    transaction: receipt.hash,
  } as const
  return { verdict: 'failed', failure, spentByUs: true }
}

/** The verdict once our receipt (if any) did not spend the authorization: what the chain says of it decides. */
function byAuthorization(
  payment: PaymentTerms,
  receipt: MinedSettlement | undefined,
  authorization: AuthorizationOnChain,
): Decided {
  switch (authorization.state) {
    case 'unspent': {
      // Nothing spent it: our transaction (if mined) reverted, or this payment's call of a batch failed.
      if (!receipt) return { verdict: 'pending' }
      const failure = {
        errorCode: 'invalid_exact_evm_transaction_failed',
        blockNumber: receipt.blockNumber,
        transaction: receipt.hash,
      } as const
      return { verdict: 'failed', failure, spentByUs: false }
    }
    case 'used': {
      const { by } = authorization
      const spent: SpentNonce = pays(by, payment)
        ? { paid: true, hash: by.hash, blockNumber: by.blockNumber }
        : { paid: false, errorMessage: spentElsewhere(by.hash) }
      return { verdict: 'spent', spent }
    }
    case 'canceled':
      return { verdict: 'spent', spent: { paid: false, errorMessage: canceledMessage } }
    case 'unreachable':
      // Spent by a transaction we cannot see: it may have paid. Never fail it on that: ask again.
      return { verdict: 'pending' }
  }
}

export type AuthorizationOnChainOptions = {
  /** The block to read at. Default: the latest, read once. */
  latest?: bigint | undefined
  /** How far back (blocks) to look for the authorization's logs. Default `100_000n`. */
  lookbackBlocks?: bigint | undefined
  /** The token's `authorizationState` already read true at `latest` (skips that read). */
  spent?: boolean | undefined
}

/**
 * Reads what the chain says of a payment's authorization ({@link AuthorizationOnChain}) for
 * {@link judgeSettlement}: the token's `authorizationState`, then the transaction holding its
 * `AuthorizationUsed` log (receipt and call), or its `AuthorizationCanceled`. Throws on a network fault.
 */
export async function authorizationOnChain(
  client: Client,
  payment: PaymentTerms,
  { latest, lookbackBlocks = 100_000n, spent }: AuthorizationOnChainOptions = {},
): Promise<AuthorizationOnChain> {
  const at = latest ?? (await getBlockNumber(client, { cacheTime: 0 }))
  const isSpent =
    spent ??
    (await readContract(client, {
      address: payment.asset,
      abi: eip3009Abi,
      functionName: 'authorizationState',
      args: [payment.payer, payment.nonce],
      blockNumber: at,
    }))
  if (!isSpent) return { state: 'unspent' }
  const use = await findAuthorizationUse(client, payment, { lookbackBlocks, latest: at })
  if (use) return { state: 'used', by: await minedTransaction(client, use) }
  const canceled = await findAuthorizationUse(client, payment, { lookbackBlocks, latest: at, canceled: true })
  return canceled ? { state: 'canceled' } : { state: 'unreachable' }
}

/**
 * A mined transaction as {@link judgeSettlement} reads it (receipt and call), e.g. the one whose
 * `AuthorizationUsed` log spent a payment's nonce. Throws on a network fault or an unknown hash.
 */
export async function minedTransaction(
  client: Client,
  { hash, blockNumber }: { hash: Hex; blockNumber: bigint },
): Promise<MinedSettlement> {
  const [receipt, transaction] = await Promise.all([
    getTransactionReceipt(client, { hash }),
    getTransaction(client, { hash }),
  ])
  return {
    hash,
    blockNumber,
    success: receipt.status === 'success',
    logs: receipt.logs,
    to: transaction.to,
    input: transaction.input,
  }
}

/**
 * {@link judgeSettlement} with the chain read only when the receipt does not decide: the verdict for a
 * row and its receipt (if any). Throws on a network fault (the caller leaves the row as it is).
 *
 * @example
 * const judged = await judgeSettlementOnChain(client, { payment: entry, receipt })
 */
export async function judgeSettlementOnChain(
  client: Client,
  { payment, receipt }: Omit<JudgeSettlementParameters, 'authorization'>,
  options: AuthorizationOnChainOptions = {},
): Promise<Decided> {
  return (
    byReceipt(payment, receipt) ??
    byAuthorization(payment, receipt, await authorizationOnChain(client, payment, options))
  )
}
