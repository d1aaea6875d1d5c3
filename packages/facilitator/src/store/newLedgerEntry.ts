import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'
import type { NewLedgerEntry } from './ledgerStore.ts'

/** The ledger row a verified payment is reserved under (internal). */
export function newLedgerEntry(request: ExactPaymentRequest, now: bigint): NewLedgerEntry {
  const { authorization, chain, requirements } = request
  const entry: NewLedgerEntry = {
    id: request.id,
    network: chain.network,
    chainId: chain.chainId,
    asset: requirements.asset,
    payer: authorization.from,
    payTo: authorization.to,
    amount: authorization.value,
    nonce: authorization.nonce,
    validAfter: authorization.validAfter,
    validBefore: authorization.validBefore,
    payloadHash: request.payloadHash,
    x402Version: request.x402Version,
    signature: request.signature,
    createdAt: now,
  }
  if (request.claim) entry.holder = request.claim
  if (request.paymentKey) entry.paymentKey = request.paymentKey
  return entry
}
