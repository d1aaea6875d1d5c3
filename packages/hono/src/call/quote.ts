import {
  encodeHeader,
  headers as headerNames,
  type PaymentRequiredV1,
  type PaymentRequiredV2,
  type PaymentRequirementsV1,
  type PaymentRequirementsV2,
} from '@tollgate/protocol'
import type { Env } from 'hono'
import { type PaywallInfo, paywallOffer } from '../paywall.ts'
import {
  type CompiledOffer,
  type CompiledOfferOf,
  type CompiledRoute,
  type ResolvedAsset,
  toAtomic,
  toPayTo,
} from '../routes/routeOptions.ts'

/** What building an offer needs of a compiled offer (nothing that depends on the Env). */
type OfferShape = Pick<CompiledOffer<Env>, 'scheme' | 'network' | 'v1Network' | 'asset' | 'maxTimeoutSeconds' | 'extra'>
/** What building a quote needs of a compiled route (or of anything else sold, such as an MCP tool). */
export type RouteShape = Pick<CompiledRoute<Env>, 'description' | 'mimeType' | 'outputSchema'>
/** A route shape with its compiled offers, whose functions take `I`. */
export type PricedShape<I> = RouteShape & { offers: readonly CompiledOfferOf<I>[] }

/** One concrete offer, in both protocol shapes. */
export type QuotedOffer = {
  v2: PaymentRequirementsV2
  /** `undefined` when v1 clients cannot pay on this offer's network. */
  v1: PaymentRequirementsV1 | undefined
  amount: bigint
  asset: ResolvedAsset
}

/** A route's quote for one resource URL, with its 402 parts encoded once. */
export type Quote = {
  url: string
  offers: readonly QuotedOffer[]
  paymentRequired: PaymentRequiredV2
  paymentRequiredV1: PaymentRequiredV1
  /** The `PAYMENT-REQUIRED` value of the unpaid 402. */
  header: string
  /** The v1 JSON body of the unpaid 402. */
  body: string
  /** Complete headers of the unpaid 402 (shared; never mutate). */
  responseHeaders: Record<string, string>
  /** The paywall page, rendered on first use. */
  html: { body: string; headers: Record<string, string> } | undefined
}

const encoder = new TextEncoder()

/** Byte length of a string in UTF-8. */
export function byteLength(text: string): number {
  return encoder.encode(text).length
}

function buildOffer(
  route: RouteShape,
  offer: OfferShape,
  amount: bigint,
  payTo: `0x${string}`,
  url: string,
): QuotedOffer {
  const atomic = amount.toString()
  const v2: PaymentRequirementsV2 = {
    scheme: offer.scheme,
    network: offer.network,
    amount: atomic,
    asset: offer.asset.address,
    payTo,
    maxTimeoutSeconds: offer.maxTimeoutSeconds,
    extra: offer.extra,
  }
  const v1: PaymentRequirementsV1 | undefined = offer.v1Network
    ? {
        scheme: offer.scheme,
        network: offer.v1Network,
        maxAmountRequired: atomic,
        resource: url,
        description: route.description,
        mimeType: route.mimeType,
        ...(route.outputSchema ? { outputSchema: route.outputSchema } : {}),
        payTo,
        maxTimeoutSeconds: offer.maxTimeoutSeconds,
        asset: offer.asset.address,
        extra: offer.extra,
      }
    : undefined
  return { v2, v1, amount, asset: offer.asset }
}

/** The offers of a static route (no functions), for `url`. */
export function staticOffers<I>(route: PricedShape<I>, url: string): QuotedOffer[] {
  return route.offers.map((offer) =>
    buildOffer(route, offer, offer.amount as bigint, offer.payTo as `0x${string}`, url),
  )
}

/**
 * Builds a quote from concrete offers; everything a 402 needs is encoded here, once. `extensions`
 * (the route's `bazaar` description) go into the v2 quote.
 */
export function buildQuote(
  route: RouteShape,
  url: string,
  offers: readonly QuotedOffer[],
  extensions?: Record<string, unknown>,
): Quote {
  const paymentRequired: PaymentRequiredV2 = {
    x402Version: 2,
    error: 'payment_required',
    resource: { url, description: route.description, mimeType: route.mimeType },
    accepts: offers.map((offer) => offer.v2),
    ...(extensions ? { extensions } : {}),
  }
  const paymentRequiredV1: PaymentRequiredV1 = {
    x402Version: 1,
    error: 'payment_required',
    accepts: offers.flatMap((offer) => (offer.v1 ? [offer.v1] : [])),
  }
  const header = encodeHeader(paymentRequired)
  const body = JSON.stringify(paymentRequiredV1)
  return {
    url,
    offers,
    paymentRequired,
    paymentRequiredV1,
    header,
    body,
    responseHeaders: {
      'Content-Type': 'application/json',
      'Content-Length': String(byteLength(body)),
      'Cache-Control': 'no-store',
      [headerNames.paymentRequired]: header,
    },
    html: undefined,
  }
}

/**
 * Resolves a route's offers for a request: static values as compiled, functions called with the
 * input (a route's context, a tool's arguments) and validated (a bad dynamic value throws a
 * ConfigError naming the route and field).
 */
export async function resolveOffers<I>(route: PricedShape<I>, input: I, url: string): Promise<QuotedOffer[]> {
  const quoted: QuotedOffer[] = []
  for (const offer of route.offers) {
    const amount =
      typeof offer.amount === 'bigint'
        ? offer.amount
        : toAtomic(await offer.amount(input), offer.asset.decimals, offer.field)
    const payTo = typeof offer.payTo === 'string' ? offer.payTo : toPayTo(await offer.payTo(input), offer.field)
    quoted.push(buildOffer(route, offer, amount, payTo, url))
  }
  return quoted
}

/** Builds the quote's paywall info (for a custom paywall renderer). */
export function paywallInfo(quote: Quote): PaywallInfo {
  return {
    resource: quote.paymentRequired.resource,
    offers: quote.offers.map((offer) => paywallOffer(offer.v2, offer.asset)),
    paymentRequired: quote.header,
  }
}

/** The same quote with an error reason: for 402s that answer a failed payment (not cached). */
export function failedQuote(quote: Quote, error: string, payer: string | undefined): { header: string; body: string } {
  return {
    header: encodeHeader({ ...quote.paymentRequired, error }),
    body: JSON.stringify({ ...quote.paymentRequiredV1, error, ...(payer ? { payer } : {}) }),
  }
}
