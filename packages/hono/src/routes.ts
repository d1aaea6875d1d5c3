import {
  ConfigError,
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
import { baseRoutePath } from 'hono/route'
import { METHOD_NAME_ALL, type Router } from 'hono/router'
import { LinearRouter } from 'hono/router/linear-router'
import { PatternRouter } from 'hono/router/pattern-router'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { TrieRouter } from 'hono/router/trie-router'
import { mergePath } from 'hono/utils/url'
import { checksumAddress } from './checksumAddress.ts'

/**
 * A price: `'$0.001'` in the asset's unit (parsed with `parseMoney`, decimal-string arithmetic,
 * never floats), or an amount in atomic units as a bigint (`1000n`) or an integer string (`'1000'`).
 */
export type Price = `$${string}` | `${bigint}` | bigint

/** A value, or a function of the request computing it (on Workers, read `c.env` here). */
export type Dynamic<E extends Env, T> = T | ((c: Context<E>) => T | Promise<T>)

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
export type OfferOptions<E extends Env = Env> = {
  /** x402 scheme. Default `'exact'`. */
  scheme?: string
  /** CAIP-2 id (`'eip155:8453'`) or v1 name (`'base'`). */
  network: string
  price: Dynamic<E, Price>
  /** The seller's address; emitted EIP-55 checksummed. */
  payTo: Dynamic<E, string>
  /** Default: USDC of `network` from `@tollgate/protocol`'s asset table. */
  asset?: OfferAsset
  /** How long the client's authorization stays valid. Default 300 seconds (the SDK default). */
  maxTimeoutSeconds?: number
  /** Extra fields merged into `extra` after the asset's `name`/`version`. */
  extra?: Record<string, unknown>
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
export type CompiledOffer<E extends Env> = {
  field: string
  scheme: string
  network: EvmNetwork
  /** The v1 name, when legacy v1 clients know this network; offers without one are v2-only. */
  v1Network: V1NetworkName | undefined
  asset: ResolvedAsset
  maxTimeoutSeconds: number
  extra: Record<string, unknown>
  amount: bigint | ((c: Context<E>) => Price | Promise<Price>)
  payTo: `0x${string}` | ((c: Context<E>) => string | Promise<string>)
}

export type CompiledRoute<E extends Env> = {
  key: string
  offers: readonly CompiledOffer<E>[]
  description: string
  mimeType: string
  outputSchema: Record<string, unknown> | undefined
  resource: string | undefined
  settle: 'after' | 'before'
  /** True when no offer has a function: quotes depend only on the resource URL. */
  isStatic: boolean
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

const methodPattern = /^[A-Z]+$/
const zeroAddress = /^0x0{40}$/

function fail(field: string, message: string, received?: unknown): never {
  throw new ConfigError({
    message: `paymentRequired: ${field}: ${message}`,
    ...(received === undefined ? {} : { details: [`Received: ${safeJson(received)}`] }),
  })
}

function safeJson(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
  } catch {
    return String(value)
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

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

function compileOffer<E extends Env>(offer: OfferOptions<E>, field: string): CompiledOffer<E> {
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
  }
}

function compileRoute<E extends Env>(key: string, route: RouteOptions<E>): CompiledRoute<E> {
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
  const offers = accepts.map((offer, i) => compileOffer(offer, many ? `${field}.accepts[${i}]` : `${field}.accepts`))
  return {
    key,
    offers,
    description,
    mimeType,
    outputSchema,
    resource,
    settle,
    isStatic: offers.every((offer) => typeof offer.amount === 'bigint' && typeof offer.payTo === 'string'),
  }
}

/** The compiled route table: finds the protected route of a request, or `undefined`. */
export type RouteTable<E extends Env> = {
  routes: readonly CompiledRoute<E>[]
  /**
   * The protected route of the request in `c` for `method` (default: the request's own method), as
   * Hono dispatches it: the request's routed path (`c.req.path`), the keys placed under the base
   * path of the app the middleware is registered on, `HEAD` as `GET`, methods in any case.
   */
  match(c: Context<E>, method?: string): CompiledRoute<E> | undefined
}

/** Methods Hono never dispatches: `HEAD` runs the `GET` handlers, and fetch refuses the others. */
const undispatched: Readonly<Record<string, string>> = {
  HEAD: 'Hono serves HEAD with the GET handlers; a "GET /path" key covers HEAD',
  CONNECT: 'fetch refuses CONNECT requests, so Hono never sees one',
  TRACE: 'fetch refuses TRACE requests, so Hono never sees one',
  TRACK: 'fetch refuses TRACK requests, so Hono never sees one',
}

/**
 * Each of Hono's routers, so that a key matches whatever router the app was built with
 * (`hono`: RegExpRouter or TrieRouter; `hono/quick`: LinearRouter; `hono/tiny`: PatternRouter).
 * They differ at the edges (LinearRouter and PatternRouter also match `/weather/` for `/weather`);
 * a request is protected when any of them matches it, so the table never guards less than the app
 * dispatches.
 */
const routerKinds: readonly (() => Router<number>)[] = [
  () => new RegExpRouter<number>(),
  () => new TrieRouter<number>(),
  () => new LinearRouter<number>(),
  () => new PatternRouter<number>(),
]

type Entry = { key: string; method: string; path: string }
/** Match answers kept per route table, for paths up to 256 characters (the oldest goes first). */
const answerLimit = 1024
type Matcher = (method: string, path: string) => number | undefined

/** `path` with Hono's `{regex}` groups blanked out, so checks see only its literal characters. */
function literalPart(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}')
}

/**
 * Why a key's path can never equal a routed path (`c.req.path`), or `undefined`. Routed paths have
 * no query or fragment, and are percent-decoded except for what `decodeURI` keeps (`%2F`, `%3F`,
 * `%25`, ...).
 */
function unmatchablePath(path: string): string | undefined {
  const literal = literalPart(path)
  if (literal.includes('#')) return 'a routed path never contains "#" (the fragment is not sent)'
  const question = literal.indexOf('?')
  if (question !== -1) {
    const last = literal.slice(literal.lastIndexOf('/') + 1)
    const optional = question === literal.length - 1 && last.startsWith(':')
    if (!optional) {
      return 'a routed path never contains "?" (the query string is not part of it); only an optional parameter ends in "?" (/:name?)'
    }
  }
  for (const run of literal.match(/(?:%[0-9A-Fa-f]{2})+/g) ?? []) {
    let decoded: string
    try {
      decoded = decodeURI(run.replace(/%25/g, '%2525'))
    } catch {
      continue // Hono keeps sequences that do not decode as they are
    }
    if (decoded !== run) {
      return `Hono matches the decoded path, so "${run}" never appears in it; write "${decoded}"`
    }
  }
  return undefined
}

function buildRouter(make: () => Router<number>, entries: readonly Entry[], paths: readonly string[], only?: number) {
  try {
    const router = make()
    entries.forEach((entry, index) => {
      if (only === undefined || only === index) router.add(entry.method, paths[index] as string, index)
    })
    router.match('GET', '/') // RegExpRouter builds on its first match; an unsupported set throws here
    return router
  } catch {
    return undefined
  }
}

/**
 * The keys placed under `base` (the base route path of the app the middleware is registered on,
 * joined as Hono joins a sub-app's routes to it) and matched with every router that takes them: one
 * router per kind for all keys, or, when a kind refuses the set, one per key it takes.
 */
function buildMatcher(entries: readonly Entry[], base: string): Matcher {
  const paths = entries.map((entry) => (base === '/' ? entry.path : mergePath(base, entry.path)))
  const routers: Router<number>[] = []
  const covered = new Set<number>()
  for (const make of routerKinds) {
    const all = buildRouter(make, entries, paths)
    if (all) {
      routers.push(all)
      for (let i = 0; i < entries.length; i++) covered.add(i)
      continue
    }
    for (let i = 0; i < entries.length; i++) {
      const one = buildRouter(make, entries, paths, i)
      if (one) {
        routers.push(one)
        covered.add(i)
      }
    }
  }
  const missing = entries.find((_, i) => !covered.has(i))
  if (missing) {
    fail(
      `routes[${JSON.stringify(missing.key)}]`,
      `no Hono router takes the path ${JSON.stringify(paths[entries.indexOf(missing)])}`,
    )
  }
  return (method, path) => {
    let first: number | undefined
    for (const router of routers) {
      for (const entry of router.match(method, path)[0]) {
        const index = entry[0]
        if (first === undefined || index < first) first = index
      }
    }
    return first
  }
}

/**
 * The base route path of the app (sub-app, `basePath`) the running middleware was registered on, as
 * Hono recorded it when it dispatched the request (`'/api'`, `'/:tenant'`); `'/'` for the root app or
 * outside Hono's routing.
 */
function registeredBase(c: Context): string {
  try {
    const base = baseRoutePath(c)
    return typeof base === 'string' && base.startsWith('/') ? base : '/'
  } catch {
    return '/'
  }
}

/**
 * Validates the routes option and builds its matcher (Hono's own routers, so patterns such as
 * `/forecast/:city` and `/premium/*` mean what they mean in Hono). The first route that matches,
 * in the order given, wins. HEAD requests match GET routes, as Hono routes them. A key that can
 * never match a request (a method Hono never dispatches, a path with a query or an encoded
 * character, a pattern no router takes, a key shadowed by an earlier one) is a ConfigError.
 */
export function compileRoutes<E extends Env>(routes: RoutesOptions<E>): RouteTable<E> {
  if (!isPlainObject(routes)) fail('routes', "must be an object such as { 'GET /weather': { accepts } }", routes)
  const keys = Object.keys(routes)
  if (keys.length === 0) fail('routes', 'needs at least one route')
  const compiled: CompiledRoute<E>[] = []
  const entries: Entry[] = []
  for (const key of keys) {
    const field = `routes[${JSON.stringify(key)}]`
    const parts = key.trim().split(/\s+/)
    const [method, path] = parts.length === 1 ? [METHOD_NAME_ALL, parts[0] as string] : parts
    if (parts.length > 2 || !method || !path || !methodPattern.test(method) || !path.startsWith('/')) {
      fail(field, 'the key must be "METHOD /path" or "/path", e.g. "GET /weather" or "/premium/*"')
    }
    const never = undispatched[method]
    if (never) fail(field, `can never match: ${never}`)
    const unmatchable = unmatchablePath(path)
    if (unmatchable) fail(field, `can never match: ${unmatchable}`)
    try {
      const probe = new TrieRouter<number>()
      probe.add(method, path, 0)
      probe.match(method, path)
    } catch (error) {
      fail(field, `is not a Hono path pattern: ${error instanceof Error ? error.message : String(error)}`)
    }
    const earlier = entries.find(
      (entry) => entry.path === path && (entry.method === METHOD_NAME_ALL || entry.method === method),
    )
    if (earlier) fail(field, `can never match: routes[${JSON.stringify(earlier.key)}] comes first and covers it`)
    compiled.push(compileRoute(key, routes[key] as RouteOptions<E>))
    entries.push({ key, method, path })
  }
  // Built once per base route path the middleware is reached under (a handful per app); the root now.
  const matchers = new Map<string, Matcher>([['/', buildMatcher(entries, '/')]])
  // Answers by base, method and path: a request path seen before costs one map lookup, not four routers.
  const answers = new Map<string, number>()
  return {
    routes: compiled,
    match(c, method = c.req.method) {
      const base = registeredBase(c)
      const upper = method.toUpperCase()
      const routed = upper === 'HEAD' ? 'GET' : upper
      const path = c.req.path
      const key = `${base} ${routed} ${path}`
      let index = answers.get(key)
      if (index === undefined) {
        let matcher = matchers.get(base)
        if (!matcher) {
          matcher = buildMatcher(entries, base)
          matchers.set(base, matcher)
        }
        index = matcher(routed, path) ?? -1
        if (path.length <= 256) {
          if (answers.size >= answerLimit) answers.delete(answers.keys().next().value as string)
          answers.set(key, index)
        }
      }
      return index < 0 ? undefined : compiled[index]
    },
  }
}
