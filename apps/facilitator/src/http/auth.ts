/**
 * Who is calling: an API key (`Authorization: Bearer tg_<id>_<secret>`, looked up by id in the
 * {@link ApiKeyStore} and compared by SHA-256) or a per-request JWT (`Authorization: Bearer <jwt>`,
 * verified with jose against configured public keys, in the style of Coinbase's hosted facilitator:
 * `kid` names the key, `uris` binds the token to `"<METHOD> <host><path>"` where the host is this
 * facilitator's configured public host (never the request's `Host`, which the caller writes),
 * `exp` / `nbf` / `iat` bound its life). The caller's scopes and payTo list come from the key's record, or from the
 * public key's entry in the JWKS (never from the token's own claims).
 */
import { type Clock, type Now, systemClock, systemNow } from '@tollgate/facilitator'
import type { Context, MiddlewareHandler } from 'hono'
import {
  createLocalJWKSet,
  exportJWK,
  importSPKI,
  type JSONWebKeySet,
  type JWK,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import { type Address, getAddress, isAddress } from 'viem'
import { type ApiKeyStore, apiKeyId, hashApiKey, type PayToList, type Scope, sameHash, scopes } from './apiKeys.ts'

/** The authenticated caller, set on the Hono context as `c.var.caller` by {@link requireCaller}. */
export type Caller = Readonly<{
  /** `key`: an API key; `jwt`: a token signed by a configured public key. */
  kind: 'key' | 'jwt'
  /** The API key's id, or the JWT's `kid`. Safe to log and to key rate limits by. */
  keyId: string
  scopes: readonly Scope[]
  payTo: PayToList
}>

declare module 'hono' {
  interface ContextVariableMap {
    /**
     * The authenticated caller of `/verify`, `/settle`, `/release` and admin routes; `undefined`
     * when auth is off (`TOLLGATE_AUTH=off`) or on a public route.
     */
    caller: Caller | undefined
  }
}

/**
 * What {@link Authenticate} reads from a request. Not its `Host`: that is the caller's to write, so a
 * JWT's `uris` are checked against the configured host alone.
 */
export type AuthRequest = { authorization: string | undefined; method: string; path: string }

/** The verdict on a request's credentials. */
export type AuthResult = { ok: true; caller: Caller } | { ok: false }

/** Authenticates one request. */
export type Authenticate = (request: AuthRequest) => Promise<AuthResult>

/** One public key a JWT may be signed with, and what its holder may do. */
export type JwtKey = { kid: string; key: JWK; scopes: readonly Scope[]; payTo: PayToList }

/** Options of {@link createAuthenticate}. */
export type CreateAuthenticateOptions = {
  /** API keys. Omit to accept JWTs only. */
  keys?: ApiKeyStore
  /** Public keys for JWTs (ES256 or EdDSA). Omit or leave empty to accept API keys only. */
  jwtKeys?: readonly JwtKey[]
  /**
   * The public host of this facilitator, which a JWT's `uris` must name (`"POST
   * facilitator.example.com/settle"`). Required with `jwtKeys`: a facilitator sharing a JWKS with
   * another must not take the tokens minted for it, and a request's `Host` cannot tell them apart.
   */
  jwtHost?: string
  /** The longest life a JWT may declare (`exp - iat`, and its age), in seconds. Default `300`. */
  jwtMaxAgeSeconds?: number
  /** How long a found key is remembered, in ms (a revocation takes at most this long). Default `5000`; `0`: never. */
  cacheMs?: number
  /** Seconds since the epoch. Default: the system clock. */
  now?: Now
  /** Milliseconds on a monotonic clock, for the key cache. Default: the system clock. */
  clock?: Clock
}

const none: AuthResult = { ok: false }

/**
 * Builds the authenticator of the service: API keys and JWTs, both as `Authorization: Bearer`. An
 * API key is known by its shape (`tg_<16 hex>_<43 base64url>`); anything else is tried as a JWT.
 * Throws a `TypeError` for `jwtKeys` without `jwtHost`.
 *
 * @example
 * const authenticate = createAuthenticate({ keys: createSqliteApiKeyStore({ dataDir }), jwtKeys, jwtHost: 'facilitator.example.com' })
 * const verdict = await authenticate({ authorization, method: 'POST', path: '/settle' })
 */
export function createAuthenticate({
  keys,
  jwtKeys = [],
  jwtHost,
  jwtMaxAgeSeconds = 300,
  cacheMs = 5_000,
  now = systemNow,
  clock = systemClock,
}: CreateAuthenticateOptions): Authenticate {
  if (jwtKeys.length > 0 && !jwtHost) {
    throw new TypeError("jwtHost is required with jwtKeys: the public host a JWT's uris must name")
  }
  const cache = new Map<string, { caller: Caller; hash: string; until: number }>()
  const byKid = new Map(jwtKeys.map((entry) => [entry.kid, entry]))
  const jwks: JWTVerifyGetKey | undefined =
    jwtKeys.length === 0
      ? undefined
      : createLocalJWKSet({ keys: jwtKeys.map(({ kid, key }) => ({ ...key, kid })) } as JSONWebKeySet)

  async function byKey(key: string): Promise<AuthResult> {
    const id = apiKeyId(key)
    if (!id || !keys) return none
    const hash = await hashApiKey(key)
    const cached = cache.get(id)
    if (cached && cached.until > clock())
      return sameHash(cached.hash, hash) ? { ok: true, caller: cached.caller } : none
    const record = await keys.get(id)
    if (!record || record.revokedAt !== undefined || !sameHash(record.hash, hash)) {
      cache.delete(id)
      return none
    }
    const caller: Caller = Object.freeze({ kind: 'key', keyId: id, scopes: record.scopes, payTo: record.payTo })
    if (cacheMs > 0) {
      if (cache.size >= 10_000) cache.clear()
      cache.set(id, { caller, hash, until: clock() + cacheMs })
    }
    return { ok: true, caller }
  }

  async function byJwt(token: string, request: AuthRequest): Promise<AuthResult> {
    if (!jwks || !jwtHost) return none
    try {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        algorithms: ['ES256', 'EdDSA'],
        requiredClaims: ['exp', 'iat', 'uris'],
        maxTokenAge: jwtMaxAgeSeconds,
        currentDate: new Date(Number(now()) * 1000),
        clockTolerance: 5,
      })
      const entry = protectedHeader.kid === undefined ? undefined : byKid.get(protectedHeader.kid)
      if (!entry) return none
      if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') return none
      if (payload.exp - payload.iat > jwtMaxAgeSeconds) return none
      const uri = `${request.method.toUpperCase()} ${jwtHost}${request.path}`
      const uris = payload.uris
      if (!Array.isArray(uris) || !uris.includes(uri)) return none
      return {
        ok: true,
        caller: Object.freeze({ kind: 'jwt', keyId: entry.kid, scopes: entry.scopes, payTo: entry.payTo }),
      }
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return none
      throw error
    }
  }

  return async function authenticate(request) {
    const header = request.authorization?.trim()
    const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header)
    const credential = match?.[1]
    if (!credential) return none
    return credential.startsWith('tg_') ? byKey(credential) : byJwt(credential, request)
  }
}

/** The 401 and 403 bodies: a stable code and a fixed message. */
export const authFailures = {
  unauthorized: { error: 'unauthorized', message: 'Authentication is required: send a valid API key or token.' },
  forbidden: { error: 'forbidden', message: 'This API key or token may not do this.' },
  forbiddenPayTo: { error: 'forbidden', message: 'This API key or token may not act for this payTo.' },
} as const

/** The verdict on each request's credentials, per authenticator: taken once, whichever middleware asks first. */
const verdicts = new WeakMap<Authenticate, WeakMap<Request, Promise<AuthResult>>>()

/**
 * The verdict on the credentials of `c`'s request, asked of `authenticate` once per request (the
 * identification before the rate limits and the route's scope check share it); `undefined` when it
 * carries none.
 */
function verdictOf(authenticate: Authenticate, c: Context): Promise<AuthResult> | undefined {
  const authorization = c.req.header('authorization')
  if (authorization === undefined) return undefined
  let known = verdicts.get(authenticate)
  if (!known) {
    known = new WeakMap()
    verdicts.set(authenticate, known)
  }
  let verdict = known.get(c.req.raw)
  if (!verdict) {
    verdict = authenticate({ authorization, method: c.req.method, path: c.req.path })
    known.set(c.req.raw, verdict)
  }
  return verdict
}

/**
 * A middleware that lets through only a caller with `scope` (for an admin route: `'admin'`), and sets
 * it as `c.var.caller`: 401
 * `unauthorized` without valid credentials (`WWW-Authenticate: Bearer`), 403 `forbidden` without the
 * scope. Credentials already checked for this request (by {@link identifyCaller}) are not checked again.
 *
 * @example
 * app.post('/settle', requireCaller(authenticate, 'settle'), settleRoute)
 */
export function requireCaller(authenticate: Authenticate, scope: Scope): MiddlewareHandler {
  return async function requireCallerMiddleware(c: Context, next) {
    const verdict = (await verdictOf(authenticate, c)) ?? none
    if (!verdict.ok) {
      c.header('www-authenticate', 'Bearer')
      return c.json(authFailures.unauthorized, 401)
    }
    // Each scope stands alone: `admin` (metrics, details) does not imply moving payments.
    if (!verdict.caller.scopes.includes(scope)) {
      return c.json(authFailures.forbidden, 403)
    }
    c.set('caller', verdict.caller)
    return next()
  }
}

/**
 * Sets `c.get('caller')` when the request carries valid credentials, and lets every request through:
 * for routes whose answer only grows with the caller's scopes (`/metrics`, `/ready` details), and
 * before the rate limits, which count a caller with valid credentials by its key and anyone else by
 * address.
 */
export function identifyCaller(authenticate: Authenticate): MiddlewareHandler {
  return async function identifyCallerMiddleware(c: Context, next) {
    const verdict = await verdictOf(authenticate, c)
    if (verdict?.ok) c.set('caller', verdict.caller)
    return next()
  }
}

const payeesOf = (body: unknown): string[] => {
  const found: string[] = []
  const at = (value: unknown, ...path: string[]): unknown =>
    path.reduce<unknown>(
      (node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
      value,
    )
  for (const value of [
    at(body, 'paymentRequirements', 'payTo'),
    at(body, 'paymentPayload', 'accepted', 'payTo'),
    at(body, 'paymentPayload', 'payload', 'authorization', 'to'),
  ]) {
    if (value !== undefined) found.push(typeof value === 'string' ? value : '')
  }
  return found
}

/**
 * Whether `caller` may act for every payee a request body names (`paymentRequirements.payTo`, the
 * payload's `accepted.payTo` and `authorization.to`). A caller without a list (auth off) may.
 */
export function mayActFor(caller: Caller | undefined, body: unknown): boolean {
  if (caller === undefined || caller.payTo === '*') return true
  const allowed = new Set(caller.payTo.map((address) => address.toLowerCase()))
  return payeesOf(body).every((payee) => allowed.has(payee.toLowerCase()))
}

/** Parses a `--scopes` / JWKS `scopes` list; throws naming the unknown one. */
export function parseScopes(value: unknown): Scope[] {
  const items = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value
  if (!Array.isArray(items) || items.length === 0)
    throw new TypeError('expected scopes: verify, settle, release, admin')
  return items.map((item) => {
    if (!(scopes as readonly unknown[]).includes(item)) {
      throw new TypeError(`unknown scope ${JSON.stringify(item)}; expected verify, settle, release or admin`)
    }
    return item as Scope
  })
}

/** Parses a `--pay-to` / JWKS `payTo` list (`*`, or addresses); throws naming the bad one. */
export function parsePayTo(value: unknown): PayToList {
  if (value === '*') return '*'
  const items = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value
  if (!Array.isArray(items) || items.length === 0) throw new TypeError('expected payTo: addresses, or *')
  return items.map((item) => {
    if (typeof item !== 'string' || !isAddress(item, { strict: false })) {
      throw new TypeError(`not an address: ${JSON.stringify(item)}`)
    }
    return getAddress(item) as Address
  })
}

/**
 * The JWT keys of a JWKS document: every key needs `kid`, `scopes` and `payTo` members (Tollgate's,
 * beside the JWK's own), and must be a public EC P-256 or OKP Ed25519 key. A key may instead be
 * given as a PEM (`{ "kid", "alg": "ES256" | "EdDSA", "pem": "-----BEGIN PUBLIC KEY-----…", "scopes", "payTo" }`).
 *
 * @example
 * const jwtKeys = await parseJwtKeys(JSON.parse(readFileSync(path, 'utf8')))
 */
export async function parseJwtKeys(document: unknown): Promise<JwtKey[]> {
  const list = (document as { keys?: unknown } | null)?.keys
  if (!Array.isArray(list)) throw new TypeError('expected a JWKS: { "keys": [...] }')
  const parsed: JwtKey[] = []
  for (const [index, item] of (list as Record<string, unknown>[]).entries()) {
    const { scopes: granted, payTo, pem, ...rest } = item ?? {}
    const kid = rest.kid
    if (typeof kid !== 'string' || kid === '') throw new TypeError(`keys[${index}]: kid is required`)
    const where = `keys[${index}] (${kid})`
    let key: Record<string, unknown> = rest
    if (pem !== undefined) {
      if (typeof pem !== 'string' || (rest.alg !== 'ES256' && rest.alg !== 'EdDSA')) {
        throw new TypeError(`${where}: a pem needs "alg": "ES256" or "EdDSA"`)
      }
      try {
        key = { ...(await exportJWK(await importSPKI(pem, rest.alg, { extractable: true }))), kid, alg: rest.alg }
      } catch {
        throw new TypeError(`${where}: pem is not a public key (SPKI PEM) for ${rest.alg}`)
      }
    }
    const isEc = key.kty === 'EC' && key.crv === 'P-256'
    const isEd = key.kty === 'OKP' && key.crv === 'Ed25519'
    if (!isEc && !isEd) throw new TypeError(`${where}: expected an EC P-256 or OKP Ed25519 key`)
    if ('d' in key) throw new TypeError(`${where}: a private key; configure the public key only`)
    try {
      parsed.push({ kid, key: key as JWK, scopes: parseScopes(granted), payTo: parsePayTo(payTo) })
    } catch (error) {
      throw new TypeError(`${where}: ${(error as Error).message}`)
    }
  }
  return parsed
}
