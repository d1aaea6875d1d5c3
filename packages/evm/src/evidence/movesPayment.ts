import { type Address, type Hex, pad } from 'viem'
import { multicall3Address } from '../encoding/aggregate3.ts'
import { authorizationUsedTopic } from '../encoding/eip3009Abi.ts'
import { hasTransferLog, type RawLog } from './hasTransferLog.ts'
import { transferCallsIn } from './paymentInTransaction.ts'

/** The terms of one payment, as its ledger row holds them (a `LedgerEntry` is one). */
export type PaymentTerms = {
  asset: Address
  payer: Address
  payTo: Address
  amount: bigint
  nonce: Hex
  validAfter: bigint
  validBefore: bigint
}

/** What the chain tells about one mined transaction: its receipt, and optionally its call. */
export type MinedTransaction = {
  /** The receipt's status. */
  success: boolean
  /** The receipt's logs, in order (sorted by `logIndex` when they carry one). */
  logs: readonly (RawLog & { logIndex?: number | bigint | string | null })[]
  /** The transaction's `to` (`null` for a deployment) and calldata, when known. */
  to?: Address | null
  input?: Hex
}

const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase()

const indexOf = (log: MinedTransaction['logs'][number]) =>
  log.logIndex === undefined || log.logIndex === null ? undefined : BigInt(log.logIndex)

/**
 * Whether a mined transaction moved exactly this payment: `amount` of `asset` from `payer` to `payTo`,
 * spending the payer's `nonce`. An EIP-3009 nonce is the payer's, not the message's: a payer can spend
 * it with another authorization of its own (to itself, for 1 unit), so the token's
 * `AuthorizationUsed(payer, nonce)` alone proves nothing about the payee. The transaction counts when
 * it spent the nonce and, besides:
 *
 * - its call carries this very authorization (the six signed fields) where a revert could not be
 *   swallowed: the transaction's own call to the asset, or a call of the canonical Multicall3's
 *   `aggregate3` with `allowFailure: false`; or
 * - the asset's `Transfer(payer, payTo, amount)` follows the nonce's `AuthorizationUsed` (the token
 *   emits the two together: that is the transfer the nonce authorized); or
 * - a separate `Transfer(payer, payTo, amount)` by the asset in the same transaction, which backs one
 *   spent nonce only: such transfers are handed, in log order, to the payer's nonces spent there
 *   without one of their own, so one transfer never pays for two payments.
 *
 * A `Transfer` emitted by any other contract never counts.
 *
 * @example
 * import { movesPayment } from '@tollgate/evm'
 * const paid = movesPayment({ success: receipt.status === 'success', logs: receipt.logs, to, input }, entry)
 * @see architecture.md (Delivery)
 */
export function movesPayment(transaction: MinedTransaction, payment: PaymentTerms): boolean {
  if (!transaction.success) return false
  const logs = transaction.logs.every((log) => indexOf(log) !== undefined)
    ? [...transaction.logs].sort((a, b) => {
        const d = (indexOf(a) as bigint) - (indexOf(b) as bigint)
        return d < 0n ? -1 : d > 0n ? 1 : 0
      })
    : transaction.logs
  const payerTopic = pad(payment.payer.toLowerCase() as Hex)
  const isUse = (log: RawLog | undefined) =>
    log !== undefined && same(log.address, payment.asset) && same(log.topics[0], authorizationUsedTopic)
  const isPayerUse = (log: RawLog | undefined) => isUse(log) && same(log?.topics[1], payerTopic)
  const isTransfer = (log: RawLog | undefined) =>
    log !== undefined &&
    hasTransferLog([log], { asset: payment.asset, from: payment.payer, to: payment.payTo, value: payment.amount })

  const used = logs.findIndex((log) => isPayerUse(log) && same(log.topics[2], payment.nonce))
  if (used < 0) return false // this transaction did not spend the nonce
  if (carriesAuthorization(transaction, payment)) return true
  if (isTransfer(logs[used + 1])) return true
  // Separate transfers (not emitted with an authorization), one per nonce spent without its own.
  const separate = logs.filter((log, i) => isTransfer(log) && !isUse(logs[i - 1])).length
  const claimants = logs.flatMap((log, i) => (isPayerUse(log) && !isTransfer(logs[i + 1]) ? [i] : []))
  const rank = claimants.indexOf(used)
  return rank >= 0 && rank < separate
}

/** Whether the transaction's call runs this very authorization on the asset, so that it cannot have failed alone. */
function carriesAuthorization({ to, input }: MinedTransaction, payment: PaymentTerms): boolean {
  if (!to || !input) return false
  const batch = same(to, multicall3Address)
  return transferCallsIn(to, input).some(
    ({ target, direct, allowFailure, payment: { authorization } }) =>
      same(target, payment.asset) &&
      (direct || (batch && !allowFailure)) &&
      same(authorization.from, payment.payer) &&
      same(authorization.to, payment.payTo) &&
      authorization.value === payment.amount &&
      authorization.validAfter === payment.validAfter &&
      authorization.validBefore === payment.validBefore &&
      same(authorization.nonce, payment.nonce),
  )
}
