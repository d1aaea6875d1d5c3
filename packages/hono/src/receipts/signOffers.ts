import {
  ConfigError,
  canonicalJson,
  encodeHeader,
  headers as headerNames,
  type Now,
  type OfferClaims,
  offerInfoSchema,
  offerReceiptExtension,
  offerReceiptVersion,
  type SignedOffer,
  systemNow,
} from '@tollgate/protocol'
import { CompactSign, calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import type { Quote } from '../call/quote.ts'

/** The seller's offer signing key (option `offerSigning` of `paymentRequired`). */
export type OfferSigningOptions = {
  /** A private JWK: EC P-256 (signs ES256) or OKP Ed25519 (signs EdDSA). Never sent. */
  key: JWK
  /** The JWS `kid` buyers look the public key up by. Default: the key's RFC 7638 thumbprint. */
  kid?: string
  /** Seconds since the epoch (`validUntil` is now + the offer's `maxTimeoutSeconds`). Default: the system clock. */
  now?: Now
}

/** Builds the unpaid 402 of a quote with its offers signed (cached per quote for half their validity). */
export type OfferSigner = (quote: Quote) => Promise<Response>

function algorithmOf(key: JWK): 'ES256' | 'EdDSA' {
  if (key.kty === 'EC' && key.crv === 'P-256') return 'ES256'
  if (key.kty === 'OKP' && key.crv === 'Ed25519') return 'EdDSA'
  throw new ConfigError({ message: 'paymentRequired: offerSigning.key must be an EC P-256 or OKP Ed25519 JWK.' })
}

/**
 * The offer signer: each offer of a 402 becomes a JWS (header `{ alg, kid }`, payload the
 * JCS-canonical offer: `version`, `resourceUrl`, `scheme`, `network` (CAIP-2), `asset`, `payTo`,
 * `amount`, `validUntil` = now + the offer's `maxTimeoutSeconds`), placed in the v2 quote's
 * `extensions["offer-receipt"].info.offers` with its `acceptIndex`. Web APIs only.
 */
export function createOfferSigner({ key, kid, now = systemNow }: OfferSigningOptions): OfferSigner {
  if (typeof key !== 'object' || key === null || typeof key.d !== 'string') {
    throw new ConfigError({ message: 'paymentRequired: offerSigning.key must be a private JWK (with d).' })
  }
  const alg = algorithmOf(key)
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) {
    throw new ConfigError({ message: 'paymentRequired: offerSigning.kid must be a non-empty string.' })
  }
  const encoder = new TextEncoder()
  const ready = (async () => ({
    privateKey: await importJWK(key, alg),
    header: { alg, kid: kid ?? (await calculateJwkThumbprint(key)) },
  }))()
  const signed = new WeakMap<
    Quote,
    { refreshAt: number; response: { body: string; headers: Record<string, string> } }
  >()

  async function sign(quote: Quote, at: number) {
    const { privateKey, header } = await ready
    const offers: SignedOffer[] = []
    let shortest = Number.POSITIVE_INFINITY
    for (const [acceptIndex, offer] of quote.paymentRequired.accepts.entries()) {
      const claims: OfferClaims = {
        version: offerReceiptVersion,
        resourceUrl: quote.url,
        scheme: offer.scheme,
        network: offer.network,
        asset: offer.asset,
        payTo: offer.payTo,
        amount: offer.amount,
        validUntil: at + offer.maxTimeoutSeconds,
      }
      shortest = Math.min(shortest, offer.maxTimeoutSeconds)
      const signature = await new CompactSign(encoder.encode(canonicalJson(claims)))
        .setProtectedHeader(header)
        .sign(privateKey)
      offers.push({ format: 'jws', acceptIndex, signature })
    }
    const paymentRequired = {
      ...quote.paymentRequired,
      extensions: {
        ...(quote.paymentRequired.extensions ?? {}),
        [offerReceiptExtension]: { info: { offers }, schema: offerInfoSchema },
      },
    }
    return {
      refreshAt: at + Math.max(1, Math.floor(shortest / 2)),
      response: {
        body: quote.body,
        headers: { ...quote.responseHeaders, [headerNames.paymentRequired]: encodeHeader(paymentRequired) },
      },
    }
  }

  return async function signedQuote(quote) {
    const at = Number(now())
    let entry = signed.get(quote)
    if (!entry || at >= entry.refreshAt) {
      entry = await sign(quote, at)
      signed.set(quote, entry)
    }
    return new Response(entry.response.body, { status: 402, headers: entry.response.headers })
  }
}
