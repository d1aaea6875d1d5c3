import {
  defaultAsset,
  type EvmNetwork,
  isX402Error,
  parseAtomicAmount,
  parseMoney,
  toCaip2,
  toV1Name,
  type V1NetworkName,
} from '@tollgate/protocol'
import type { Context, Env } from 'hono'
import { type CompiledDiscovery, compileDiscovery, type RouteExample, type RouteInput } from '../discovery/discovery.ts'
import type { Schema } from '../discovery/schema.ts'
import { fail, isPlainObject } from '../fail.ts'
import { checksumAddress } from './checksumAddress.ts'
import { type CompiledDelivery, compileDelivery, type Delivery, type OptimisticOptions } from './delivery.ts'

/**
 * A price: `'$0.001'` in the asset's unit (parsed with `parseMoney`, decimal-string arithmetic,
 * never floats), or an amount in atomic units as a bigint (`1000n`) or an integer string (`'1000'`).
 */
export type Price = `$${string}` | `${bigint}` | bigint

/** A value, or a function of the request computing it (on Workers, read `c.env` here). */
export type Dynamic<E extends Env, T> = DynamicOf<Context<E>, T>

/** A value, or a function of `I` (a route's request, a tool's arguments) computing it. */
export type DynamicOf<I, T> = T | ((input: I) => T | Promise<T>)

/** A token that is not the network's default USDC. */
export type OfferAsset = {
  address: string
  decimals: number
  /** EIP-712 domain `name` of the token (`extra.name` on the wire). */
  name: string
  /** EIP-712 domain `version` of the token (`extra.version` on the wire). */
  version: string
  /** Shown on the paywall page. Default `'tokens'`. */
  symbol?: string
}

/** One way to pay for a route. */
export type OfferOptions<E extends Env = Env> = OfferOptionsOf<Context<E>>

/** One way to pay, with a price and payee that may be computed from `I` (see {@link OfferOptions}). */
export type OfferOptionsOf<I> = {
  /** x402 scheme. Default `'exact'`. */
  scheme?: string
  /** CAIP-2 id (`'eip155:8453'`) or v1 name (`'base'`). */
  network: string
  price: DynamicOf<I, Price>
  /** The seller's address; emitted EIP-55 checksummed. */
  payTo: DynamicOf<I, string>
  /** Default: USDC of `network` from `@tollgate/protocol`'s asset table. */
  asset?: OfferAsset
  /** How long the client's authorization stays valid. Default 300 seconds (the SDK default). */
  maxTimeoutSeconds?: number
  /** Extra fields merged into `extra` after the asset's `name`/`version`. */
  extra?: Record<string, unknown>
  /**
   * The least and the most a dynamic `price` asks, published in `/.well-known/x402` and
   * `/openapi.json` (without it they say `"dynamic"`).
   */
  priceRange?: { min: Price; max: Price }
}

/** A protected route: its offers and what the quote says about the resource. */
export type RouteOptions<E extends Env = Env> = {
  accepts: OfferOptions<E> | readonly OfferOptions<E>[]
  /** Shown to buyers in the quote and on the paywall. Default `''`. */
  description?: string
  /** Media type of the paid response. Default `'application/json'`. */
  mimeType?: string
  /** v1 `outputSchema` (JSON object); omitted when not set. */
  outputSchema?: Record<string, unknown>
  /**
   * Absolute URL to advertise as the resource. Default: the request URL. Set it behind a proxy, and
   * to let a static route's 402 be built once at construction.
   */
  resource?: string
  /**
   * `'after'` (default): verify, run the handler, settle only if it answered below 400.
   * `'before'`: settle first, then run the handler (for content that cannot be taken back).
   */
  settle?: 'after' | 'before'
  /**
   * `'settled'` (default): deliver once the settlement's receipt is seen. `'optimistic'`: deliver once
   * the payment is verified, reserved and its settlement transaction broadcast (settled first, then
   * the handler runs), within `optimistic`'s bounds and the facilitator's; the answer's
   * `PAYMENT-RESPONSE` carries the transaction, and the receipt follows. Needs Tollgate's facilitator
   * (`tollgate-delivery`); any other is asked to settle, and the route delivers settled.
   */
  delivery?: Delivery
  /** The bounds of optimistic delivery (see {@link OptimisticOptions}). */
  optimistic?: OptimisticOptions
  /**
   * What the route takes (zod schemas or JSON Schema): a request that does not match gets `400`
   * with the problems listed, before any quote, so nobody pays for a request that cannot succeed.
   */
  input?: RouteInput
  /** What the paid response holds (zod or JSON Schema). */
  output?: Schema
  /** An example request and response, checked against the schemas at startup. */
  example?: RouteExample
  /**
   * Whether the 402 carries the `bazaar` extension that catalogues read. Default `true` when the
   * route declares `input`, `output` or `example`.
   */
  discoverable?: boolean
  /**
   * Whether the 402 carries signed offers (x402 `offer-receipt`), when `paymentRequired` has an
   * `offerSigning` key. Default `true` then; `false` leaves this route's offers unsigned.
   */
  signOffers?: boolean
}

/**
 * Routes keyed `'GET /weather'` (one method) or `'/weather'` (any method); paths use Hono patterns.
 * A key's path is written as the routes of the app the middleware is registered on: a sub-app
 * mounted with `app.route('/api', sub)` or an app with `basePath('/v1')` writes `'GET /weather'` for
 * `sub.get('/weather')`, and it guards `/api/weather` (`/v1/weather`).
 */
export type RoutesOptions<E extends Env = Env> = Record<string, RouteOptions<E>>

export type ResolvedAsset = {
  address: `0x${string}`
  decimals: number
  name: string
  version: string
  symbol: string
}

/** An offer with everything static validated and normalized once. */
export type CompiledOffer<E extends Env> = CompiledOfferOf<Context<E>>

/** An offer whose functions take `I`, with everything static validated and normalized once. */
export type CompiledOfferOf<I> = {
  field: string
  scheme: string
  network: EvmNetwork
  /** The v1 name, when legacy v1 clients know this network; offers without one are v2-only. */
  v1Network: V1NetworkName | undefined
  asset: ResolvedAsset
  maxTimeoutSeconds: number
  extra: Record<string, unknown>
  amount: bigint | ((input: I) => Price | Promise<Price>)
  payTo: `0x${string}` | ((input: I) => string | Promise<string>)
  /** The declared range of a dynamic price, in atomic units. */
  range: { min: bigint; max: bigint } | undefined
}

export type CompiledRoute<E extends Env> = {
  key: string
  /** The key's method (`'GET'`), or `'ALL'` for a key without one. */
  method: string
  /** The key's Hono path pattern (`'/forecast/:city'`). */
  path: string
  offers: readonly CompiledOffer<E>[]
  description: string
  mimeType: string
  outputSchema: Record<string, unknown> | undefined
  resource: string | undefined
  settle: 'after' | 'before'
  /** When the route delivers, and the bounds of optimistic delivery. */
  delivery: CompiledDelivery
  /** True when no offer has a function: quotes depend only on the resource URL. */
  isStatic: boolean
  /** The declared input, output and example, when any. */
  discovery: CompiledDiscovery | undefined
  /** `false`: never sign this route's offers. */
  signOffers: boolean
}

// The networks the strict legacy `x402@1` client accepts (its NetworkSchema enum, EVM part).
const legacyV1Networks: ReadonlySet<string> = new Set([
  'abstract',
  'abstract-testnet',
  'base-sepolia',
  'base',
  'avalanche-fuji',
  'avalanche',
  'iotex',
  'sei',
  'sei-testnet',
  'polygon',
  'polygon-amoy',
  'peaq',
  'story',
  'educhain',
  'skale-base-sepolia',
])

const zeroAddress = /^0x0{40}$/

/**
 * Converts a {@link Price} to atomic units. Throws a ConfigError naming `field` when the price is
 * malformed, zero or has more decimals than the asset.
 */
export function toAtomic(price: unknown, decimals: number, field: string): bigint {
  let amount: bigint
  if (typeof price === 'bigint') {
    amount = price
  } else if (typeof price === 'string') {
    try {
      amount = price.startsWith('$') ? parseMoney(price, { decimals }) : parseAtomicAmount(price)
    } catch (error) {
      const hint = price.startsWith('$') ? '' : ' (for a price in dollars write "$0.001")'
      fail(`${field}.price`, `${isX402Error(error) ? error.shortMessage : String(error)}${hint}`, price)
    }
  } else {
    fail(`${field}.price`, 'must be "$0.001", an atomic amount as a bigint or an integer string', price)
  }
  if (amount <= 0n) fail(`${field}.price`, 'must be greater than zero', price)
  if (amount >= 2n ** 256n) fail(`${field}.price`, 'exceeds uint256', price)
  return amount
}

/** Validates and checksums a payTo address; throws a ConfigError naming `field`. */
export function toPayTo(value: unknown, field: string): `0x${string}` {
  const address = typeof value === 'string' ? checksumAddress(value) : undefined
  if (!address)
    fail(
      `${field}.payTo`,
      'must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum if mixed-case',
      value,
    )
  if (zeroAddress.test(address)) fail(`${field}.payTo`, 'must not be the zero address', value)
  return address
}

function compileAsset(option: OfferAsset | undefined, network: EvmNetwork, field: string): ResolvedAsset {
  if (option === undefined) {
    const known = defaultAsset(network)
    if (!known) {
      fail(`${field}.asset`, `no default asset for ${network}; give { address, decimals, name, version }`)
    }
    return {
      address: known.address,
      decimals: known.decimals,
      name: known.name,
      version: known.version,
      symbol: known.symbol,
    }
  }
  const { address, decimals, name, version, symbol = 'tokens' } = option
  const checksummed = typeof address === 'string' ? checksumAddress(address) : undefined
  if (!checksummed)
    fail(
      `${field}.asset.address`,
      'must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum if mixed-case',
      address,
    )
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 36) {
    fail(`${field}.asset.decimals`, 'must be an integer from 0 to 36', decimals)
  }
  if (typeof name !== 'string' || name === '') fail(`${field}.asset.name`, 'must be the EIP-712 domain name', name)
  if (typeof version !== 'string' || version === '') {
    fail(`${field}.asset.version`, 'must be the EIP-712 domain version', version)
  }
  return { address: checksummed, decimals, name, version, symbol }
}

/** Validates one offer; throws a ConfigError naming `field` (and the option) when it is wrong. */
export function compileOffer<I>(offer: OfferOptionsOf<I>, field: string): CompiledOfferOf<I> {
  if (!isPlainObject(offer)) fail(field, 'must be an offer object { network, price, payTo }', offer)
  const { scheme = 'exact', maxTimeoutSeconds = 300, extra = {} } = offer
  if (typeof scheme !== 'string' || scheme === '') fail(`${field}.scheme`, 'must be a non-empty string', scheme)
  const network = typeof offer.network === 'string' ? toCaip2(offer.network) : undefined
  if (!network) fail(`${field}.network`, 'must be a CAIP-2 id such as "eip155:8453" or a v1 name', offer.network)
  if (!Number.isInteger(maxTimeoutSeconds) || maxTimeoutSeconds <= 0) {
    fail(`${field}.maxTimeoutSeconds`, 'must be a positive integer', maxTimeoutSeconds)
  }
  if (!isPlainObject(extra)) fail(`${field}.extra`, 'must be an object', extra)
  const asset = compileAsset(offer.asset, network, field)
  const v1Name = toV1Name(network)
  const price = offer.price
  const payTo = offer.payTo
  if (price === undefined) fail(`${field}.price`, 'is required')
  if (payTo === undefined) fail(`${field}.payTo`, 'is required')
  let range: { min: bigint; max: bigint } | undefined
  if (offer.priceRange !== undefined) {
    if (!isPlainObject(offer.priceRange)) fail(`${field}.priceRange`, 'must be { min, max }', offer.priceRange)
    range = {
      min: toAtomic(offer.priceRange.min, asset.decimals, `${field}.priceRange.min`),
      max: toAtomic(offer.priceRange.max, asset.decimals, `${field}.priceRange.max`),
    }
    if (range.min > range.max) fail(`${field}.priceRange`, 'min must not exceed max', offer.priceRange)
  }
  return {
    field,
    scheme,
    network,
    v1Network: v1Name && legacyV1Networks.has(v1Name) && scheme === 'exact' ? v1Name : undefined,
    asset,
    maxTimeoutSeconds,
    extra: { name: asset.name, version: asset.version, ...extra },
    amount: typeof price === 'function' ? price : toAtomic(price, asset.decimals, field),
    payTo: typeof payTo === 'function' ? payTo : toPayTo(payTo, field),
    range,
  }
}

export function compileRoute<E extends Env>(
  key: string,
  method: string,
  path: string,
  route: RouteOptions<E>,
): CompiledRoute<E> {
  const field = `routes[${JSON.stringify(key)}]`
  if (!isPlainObject(route)) fail(field, 'must be a route object { accepts, description?, ... }', route)
  const { description = '', mimeType = 'application/json', outputSchema, resource, settle = 'after' } = route
  const many = Array.isArray(route.accepts)
  const accepts: readonly OfferOptions<E>[] = many
    ? (route.accepts as readonly OfferOptions<E>[])
    : route.accepts === undefined
      ? []
      : [route.accepts as OfferOptions<E>]
  if (accepts.length === 0) fail(`${field}.accepts`, 'needs at least one offer')
  if (typeof description !== 'string') fail(`${field}.description`, 'must be a string', description)
  if (typeof mimeType !== 'string' || mimeType === '') fail(`${field}.mimeType`, 'must be a media type', mimeType)
  if (outputSchema !== undefined && !isPlainObject(outputSchema)) {
    fail(`${field}.outputSchema`, 'must be a JSON object (or left out)', outputSchema)
  }
  if (resource !== undefined && (typeof resource !== 'string' || !URL.canParse(resource))) {
    fail(`${field}.resource`, 'must be an absolute URL', resource)
  }
  if (settle !== 'after' && settle !== 'before') fail(`${field}.settle`, 'must be "after" or "before"', settle)
  const { signOffers = true } = route
  if (typeof signOffers !== 'boolean') fail(`${field}.signOffers`, 'must be a boolean', signOffers)
  const offers = accepts.map((offer, i) => compileOffer(offer, many ? `${field}.accepts[${i}]` : `${field}.accepts`))
  return {
    key,
    method,
    path,
    offers,
    description,
    mimeType,
    outputSchema,
    resource,
    settle,
    delivery: compileDelivery(
      field,
      route.delivery,
      route.optimistic,
      offers.map((offer) => offer.asset.decimals),
    ),
    isStatic: offers.every((offer) => typeof offer.amount === 'bigint' && typeof offer.payTo === 'string'),
    discovery: compileDiscovery(route, method, path, field),
    signOffers,
  }
}
