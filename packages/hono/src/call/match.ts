import {
  exactEvmPayloadSchema,
  type PaymentPayload,
  type PaymentPayloadV1,
  type PaymentPayloadV2,
} from '@tollgate/protocol'
import type { QuotedOffer } from './quote.ts'

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const aKeys = Object.keys(a)
  const bKeys = Object.keys(b)
  if (aKeys.length !== bKeys.length) return false
  for (const key of aKeys) {
    if (!Object.hasOwn(b, key)) return false
    if (!sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  }
  return true
}

/**
 * v2 rule (as `@x402/core` applies it): `accepted` without `extra` deep-equals the offer without
 * `extra` (same keys, exact strings), and every field of the offer's `extra` is echoed unchanged.
 */
function matchesV2(offer: QuotedOffer, accepted: PaymentPayloadV2['accepted']): boolean {
  const { extra: offerExtra, ...offerCore } = offer.v2
  const { extra: acceptedExtra, ...acceptedCore } = accepted
  if (!sameJson(offerCore, acceptedCore)) return false
  if (offerExtra === undefined) return true
  if (acceptedExtra === undefined || acceptedExtra === null) return Object.keys(offerExtra).length === 0
  for (const key of Object.keys(offerExtra)) {
    if (!Object.hasOwn(acceptedExtra, key) || !sameJson(offerExtra[key], acceptedExtra[key])) return false
  }
  return true
}

/**
 * v1 rule: same scheme and network (v1 name); when the payload is an `exact` EVM authorization, its
 * `value` must equal the offer's amount and `to` its payTo, which also picks between offers that
 * differ only in price or recipient.
 */
function matchesV1(offer: QuotedOffer, payment: PaymentPayloadV1): boolean {
  const v1 = offer.v1
  if (!v1 || v1.scheme !== payment.scheme || v1.network !== payment.network) return false
  if (payment.scheme !== 'exact') return true
  const parsed = exactEvmPayloadSchema.safeParse(payment.payload)
  if (!parsed.success) return true // refused before matching (checkExactPayload); kept for direct callers
  const { value, to } = parsed.data.authorization
  return value === v1.maxAmountRequired && to.toLowerCase() === v1.payTo.toLowerCase()
}

/**
 * The offer a payment pays for, or `undefined`. Offers are rebuilt for every request exactly as
 * they were quoted, so a payment for the 402's offer matches on the retry.
 *
 * @see x402-protocol reference §2.6 (matching rule)
 */
export function matchOffer(offers: readonly QuotedOffer[], payment: PaymentPayload): QuotedOffer | undefined {
  if (payment.x402Version === 2) return offers.find((offer) => matchesV2(offer, payment.accepted))
  return offers.find((offer) => matchesV1(offer, payment))
}
