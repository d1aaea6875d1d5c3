import type { PaymentUse } from '@tollgate/evm'
import type { SettleResponse } from '@tollgate/protocol'
import type { Facilitator, FacilitatorNetwork } from '../createFacilitator.ts'
import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'
import { recordFailed, recordSettled, recordSpentNonce, spentElsewhere } from '../store/ledger.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'
import {
  type JudgeSettlementReturnType,
  judgeSettlement,
  judgeSettlementOnChain,
  minedTransaction,
} from './judgeSettlement.ts'

/*
 * The outcome of a payment already claimed for settlement, as the ledger records it: the answer
 * built from a row, the wait for a submitted transaction's receipt, and the wait for another
 * settler's outcome.
 */

const pollMs = 50

/** The answer for a ledger entry: every answer about one authorization is built from its row. */
export function responseOf(request: ExactPaymentRequest, entry: LedgerEntry): SettleResponse {
  const base = { payer: entry.payer, transaction: entry.transaction ?? '', network: request.network }
  switch (entry.state) {
    case 'settled':
    case 'preconfirmed': // a preconfirmation: the reconciler confirms it in a sealed block
      return { success: true, ...base }
    case 'failed':
      return {
        success: false,
        errorReason: entry.errorCode ?? 'unexpected_settle_error',
        ...(entry.errorMessage ? { errorMessage: entry.errorMessage } : {}),
        ...base,
      }
    case 'expired':
      return { success: false, errorReason: 'invalid_exact_evm_payload_authorization_valid_before', ...base }
    default:
      // submitted (broadcast, receipt not seen in time) or still settling elsewhere: do not pay again.
      return { success: false, errorReason: 'settlement_pending', ...base }
  }
}

/**
 * Waits for the receipt of a submitted entry (bounded) and writes the outcome {@link judgeSettlement}
 * decides (the same judgement as the reconciler's). Not mined in time, or the chain could not be
 * asked, or the nonce spent by a transaction out of reach: the row is left `submitted` for the
 * reconciler to finish.
 */
export async function confirm(
  facilitator: Facilitator,
  chain: FacilitatorNetwork,
  entry: LedgerEntry,
): Promise<LedgerEntry> {
  if (!entry.transaction || entry.signerNonce === undefined) return entry
  const receipt = await chain.settler.waitForReceipt({
    hash: entry.transaction,
    nonce: entry.signerNonce,
    ...(entry.signer ? { signer: entry.signer } : {}),
    timeoutMs: facilitator.receiptTimeoutMs,
  })
  const reread = async () => (await facilitator.store.get(entry.id)) ?? entry
  if (!receipt) return reread()
  // The receipt may be a replacement's (same nonce, higher fee): the hash that landed is recorded.
  const mined = {
    hash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    success: receipt.status === 'success',
    logs: receipt.logs,
  }
  let judged: Awaited<ReturnType<typeof judgeSettlementOnChain>>
  try {
    judged = await judgeSettlementOnChain(chain.client, { payment: entry, receipt: mined })
  } catch {
    judged = { verdict: 'pending' } // the chain could not be asked: the reconciler finishes it
  }
  // A preconfirmation that did not pay is not the last word: the sealed block decides (the reconciler).
  if (receipt.preconfirmed && judged.verdict !== 'settled') judged = { verdict: 'pending' }
  // Our transaction was mined without this payment's call spending the nonce (a revert, or its call
  // of a batch failed), although its simulation had passed: the payer's code or state answered
  // differently when mined, or the payer spent the nonce on another authorization meanwhile. Either
  // cost us gas: the payer is refused a while, unless the payment was made after all.
  const paid = judged.verdict === 'settled' || (judged.verdict === 'spent' && judged.spent.paid)
  const spentByUs = judged.verdict === 'settled' || (judged.verdict === 'failed' && judged.spentByUs)
  if (!paid && !spentByUs) facilitator.payerLimits.coolOff(chain.network, entry.payer)
  const at = { now: facilitator.now() }
  switch (judged.verdict) {
    case 'settled': {
      // A receipt not (yet) in a sealed block: recorded as a preconfirmation, for the reconciler to confirm.
      const landing = { ...judged, ...(receipt.preconfirmed ? { preconfirmed: true } : {}) }
      const result = await recordSettled(facilitator.store, entry.id, landing, at)
      return result.ok ? result.entry : reread()
    }
    case 'failed': {
      const result = await recordFailed(facilitator.store, entry.id, 'submitted', judged.failure, at)
      return result.ok ? result.entry : reread()
    }
    case 'spent':
      return (await recordSpentNonce(facilitator.store, entry, judged.spent, at)).entry
    case 'pending':
      return reread()
  }
}

/**
 * Records a payment whose nonce was spent on chain by `spender` (see {@link recordSpentNonce}) as
 * {@link judgeSettlement} judges that transaction: settled with it only when it moved exactly this
 * payment with the `Transfer` of the exact amount to `payTo`. When that transaction cannot be read,
 * the row is left as it is (the reconciler finishes it).
 */
export async function recordSpent(
  facilitator: Facilitator,
  entry: LedgerEntry,
  spender: PaymentUse,
): Promise<LedgerEntry> {
  let judged: JudgeSettlementReturnType
  if (spender.paid) {
    // `paid` is `movesPayment` alone: the judgement also wants the exact Transfer in that transaction.
    const chain = facilitator.networks.get(entry.network)
    if (!chain) return entry
    try {
      const by = await minedTransaction(chain.client, spender)
      judged = judgeSettlement({ payment: entry, authorization: { state: 'used', by } })
    } catch {
      return entry
    }
  } else {
    // Not `movesPayment`: the judgement would not count it either (it needs that and the Transfer).
    judged = { verdict: 'spent', spent: { paid: false, errorMessage: spentElsewhere(spender.hash) } }
  }
  if (judged.verdict !== 'spent') return entry
  return (await recordSpentNonce(facilitator.store, entry, judged.spent, { now: facilitator.now() })).entry
}

/**
 * Another process holds the claim (or the row was handed over, `requested`, to a node that can sign):
 * wait (bounded by the settle wait) until its outcome is written; a submitted transaction's receipt
 * is then waited for like any other.
 */
export async function awaitOutcome(
  facilitator: Facilitator,
  chain: FacilitatorNetwork,
  id: string,
): Promise<LedgerEntry | undefined> {
  const deadline = facilitator.clock() + facilitator.receiptTimeoutMs
  for (;;) {
    const entry = await facilitator.store.get(id)
    const waiting = entry?.state === 'settling' || entry?.state === 'requested'
    if (!waiting || facilitator.clock() >= deadline) {
      return entry?.state === 'submitted' ? confirm(facilitator, chain, entry) : entry
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
