import { paymentInTransaction } from '@tollgate/evm'
import { findAsset, type SettleResponse } from '@tollgate/protocol'
import type { Hex } from 'viem'
import type { Facilitator } from '../createFacilitator.ts'
import { exactPaymentRequest } from '../request/parseFacilitatorRequest.ts'
import { settlePayment } from '../settle.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'

/**
 * Settles a payment again without the resource server: one whose settlement was asked for, but
 * whose transaction can no longer land (the reconciler gave its row back to `reserved` because the
 * signer's nonce went to another transaction), or that was never signed (a process killed while the
 * row was `settling`, or a settlement given back to `reserved`). The authorization comes from the
 * row and the payer's signature from the row (kept at reservation) or else from the journaled
 * transaction (`transaction`, the row's last hash); they go through {@link settlePayment} (what `/settle` runs after parsing) like a resource
 * server's retry: re-verified, claimed, sent at a new nonce, answered from the ledger. Answers
 * `undefined` when neither holds the payment (nothing is sent then).
 *
 * @example
 * import { createReconciler, resettle } from '@tollgate/facilitator'
 * createReconciler(deps, { onRequeued: (entry, hash) => void resettle(facilitator, entry, hash) })
 */
export async function resettle(
  facilitator: Facilitator,
  entry: LedgerEntry,
  transaction?: Hex,
): Promise<SettleResponse | undefined> {
  const kept = entry.signature && {
    authorization: {
      from: entry.payer,
      to: entry.payTo,
      value: entry.amount,
      validAfter: entry.validAfter,
      validBefore: entry.validBefore,
      nonce: entry.nonce,
    },
    signature: entry.signature,
  }
  const stored = kept || !transaction ? undefined : await facilitator.store.getTransaction(transaction)
  const payment = kept || (stored && paymentInTransaction(stored.raw, entry))
  const asset = findAsset(entry.network, entry.asset)
  const chain = facilitator.networks.get(entry.network)
  if (!payment || !asset || !chain) return undefined
  const request = exactPaymentRequest({
    x402Version: entry.x402Version,
    network: entry.network,
    chain,
    authorization: payment.authorization,
    signature: payment.signature,
    requirements: {
      asset: entry.asset,
      payTo: entry.payTo,
      amount: entry.amount,
      extra: { name: asset.name, version: asset.version },
    },
  })
  return settlePayment(facilitator, request)
}
