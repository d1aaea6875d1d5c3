import type { Env } from 'hono'
import { routeTemplate } from '../routes/pathPattern.ts'
import type { CompiledOffer, CompiledRoute } from '../routes/routeOptions.ts'
import { bazaarExtension } from './discovery.ts'

/**
 * What an offer asks, as the documents publish it: the atomic amount of a fixed price, the declared
 * `{ min, max }` of a dynamic one, or `'dynamic'` when it is computed from the request with no range.
 */
export type PublishedPrice = string | { min: string; max: string } | 'dynamic'

/** One offer of a route in `/.well-known/x402` and `x-payment-info`. */
export type PublishedOffer = {
  scheme: string
  network: string
  asset: string
  /** The seller's address, or `'dynamic'` when it is computed from the request. */
  payTo: string
  price: PublishedPrice
  decimals: number
  symbol: string
  maxTimeoutSeconds: number
  extra: Record<string, unknown>
}

/** An offer as published: nothing that depends on a request is invented. */
export function publishedOffer(offer: CompiledOffer<Env>): PublishedOffer {
  const price: PublishedPrice =
    typeof offer.amount === 'bigint'
      ? offer.amount.toString()
      : offer.range
        ? { min: offer.range.min.toString(), max: offer.range.max.toString() }
        : 'dynamic'
  return {
    scheme: offer.scheme,
    network: offer.network,
    asset: offer.asset.address,
    payTo: typeof offer.payTo === 'string' ? offer.payTo : 'dynamic',
    price,
    decimals: offer.asset.decimals,
    symbol: offer.asset.symbol,
    maxTimeoutSeconds: offer.maxTimeoutSeconds,
    extra: offer.extra,
  }
}

/** One paid resource of `/.well-known/x402`. */
export type WellKnownResource = {
  /** The resource's URL; for a parameterised path, the origin and the route template. */
  resource: string
  type: 'http'
  /** The key's method, or `'*'` for a key that covers every method. */
  method: string
  routeTemplate?: string
  description: string
  mimeType: string
  x402Version: 2
  accepts: PublishedOffer[]
  /** How the route is described to catalogues (the same `bazaar` object its 402 carries). */
  extensions?: Record<string, unknown>
}

/** The `/.well-known/x402` document: every paid route, its offers and schemas. */
export type WellKnownDocument = { x402Version: 2; resources: WellKnownResource[] }

/** The URL a route is published at: its fixed `resource`, else `origin` and the template or path. */
export function publishedUrl(route: CompiledRoute<Env>, origin: string): string {
  return route.resource ?? `${origin}${routeTemplate(route.path) ?? route.path}`
}

/**
 * Builds `/.well-known/x402` from compiled routes, for a server at `origin`
 * (`https://api.example.com`).
 */
export function wellKnownDocument(routes: readonly CompiledRoute<Env>[], origin: string): WellKnownDocument {
  return {
    x402Version: 2,
    resources: routes.map((route) => {
      const template = routeTemplate(route.path)
      const discovery = route.discovery
      return {
        resource: publishedUrl(route, origin),
        type: 'http',
        method: route.method === 'ALL' ? '*' : route.method,
        ...(template ? { routeTemplate: template } : {}),
        description: route.description,
        mimeType: route.mimeType,
        x402Version: 2,
        accepts: route.offers.map(publishedOffer),
        ...(discovery?.discoverable
          ? {
              extensions: {
                bazaar: bazaarExtension(discovery, route.mimeType, template ? { routeTemplate: template } : {}),
              },
            }
          : {}),
      }
    }),
  }
}
