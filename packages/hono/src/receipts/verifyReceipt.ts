import {
  type Clock,
  type Now,
  type ReceiptClaims,
  receiptClaimsSchema,
  receiptOf,
  type SettleResponse,
  type SignedReceipt,
  systemClock,
  systemNow,
} from '@tollgate/protocol'
import { compactVerify, decodeProtectedHeader, errors, importJWK, type JWK } from 'jose'

/**
 * Why a receipt was refused (stable codes):
 * - `receipt_malformed`: not a compact JWS, or its claims are not a Tollgate/x402 receipt;
 * - `receipt_signature_invalid`: the signature does not match (the receipt was altered);
 * - `receipt_unknown_key`: its `kid` is not in the facilitator's JWKS, even after a refresh;
 * - `receipt_unsupported_algorithm`: not ES256 or EdDSA;
 * - `receipt_resource_mismatch`: signed for another resource URL than the one expected;
 * - `receipt_payment_mismatch`: signed for another payee, amount, asset or network than the one expected;
 * - `receipt_too_old`: issued longer ago than `maxAgeSeconds`, or in the future;
 * - `jwks_unreachable`: the JWKS could not be fetched or read (a fault: the receipt may be fine).
 */
export type ReceiptRefusal =
  | 'receipt_malformed'
  | 'receipt_signature_invalid'
  | 'receipt_unknown_key'
  | 'receipt_unsupported_algorithm'
  | 'receipt_resource_mismatch'
  | 'receipt_payment_mismatch'
  | 'receipt_too_old'
  | 'jwks_unreachable'

export type VerifyReceiptResult =
  | { ok: true; claims: ReceiptClaims; kid: string; algorithm: 'ES256' | 'EdDSA' }
  | { ok: false; code: ReceiptRefusal; message: string }

/** A JWKS document (`{ keys: [...] }`). */
export type ReceiptKeySet = { keys: readonly JWK[] }

/**
 * What to require of a receipt. A receipt proves that its facilitator saw a payment settle; what the
 * payment bought is what its payee asserted. Require at least the resource and the terms you sell it
 * at (`payTo`, `amount`, `asset`, `network`): a receipt for another payee's resource says nothing
 * about yours.
 */
export type VerifyReceiptOptions = {
  /** The resource URL the receipt must name (exactly). Default: any. */
  resourceUrl?: string
  /** The payee the receipt must name (an address, compared case-insensitively). Default: any. */
  payTo?: string
  /** The amount, in the asset's atomic units, the receipt must name. Default: any. */
  amount?: bigint | string
  /** The asset (token address, compared case-insensitively) the receipt must name. Default: any. */
  asset?: string
  /** The network (CAIP-2, `eip155:8453`) the receipt must name. Default: any. */
  network?: string
  /** Refuse a receipt issued longer ago than this. Default: no limit. */
  maxAgeSeconds?: number
  /** Seconds since the epoch, for `maxAgeSeconds`. Default: the system clock. */
  now?: Now
}

export type CreateReceiptVerifierOptions = {
  /**
   * The facilitator's keys: its `GET /.well-known/jwks.json` URL (fetched, cached, fetched again on
   * an unknown `kid`), or the JWKS itself (offline).
   */
  jwks: string | URL | ReceiptKeySet
  /** Default: the global `fetch` (Node 20, Workers). */
  fetch?: typeof fetch
  /** How long a fetched JWKS is used before it is fetched again, in ms. Default `300_000`. */
  cacheMs?: number
  /** Fewest ms between two fetches caused by unknown `kid`s (so forged kids cannot flood the JWKS). Default `10_000`. */
  refreshCooldownMs?: number
  /** Fetch timeout, in ms. Default `5_000`. */
  timeoutMs?: number
  /** Milliseconds on a monotonic clock, for `cacheMs` and `refreshCooldownMs`. Default: `performance.now()`. */
  clock?: Clock
}

/** Verifies receipts against one facilitator's keys. */
export type ReceiptVerifier = (
  receipt: SignedReceipt | string | SettleResponse,
  options?: VerifyReceiptOptions,
) => Promise<VerifyReceiptResult>

const refuse = (code: ReceiptRefusal, message: string): VerifyReceiptResult => ({ ok: false, code, message })
const algorithms = ['ES256', 'EdDSA'] as const

function isKeySet(value: unknown): value is ReceiptKeySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { keys?: unknown }).keys) &&
    (value as { keys: unknown[] }).keys.every((key) => typeof key === 'object' && key !== null)
  )
}

/**
 * A verifier of facilitator-signed receipts (x402 `offer-receipt`, JWS; Web APIs only: Node,
 * Workers, browsers). It checks the signature against the facilitator's JWKS by `kid`, the claims'
 * shape, and optionally the resource URL and age; expected failures are values with a
 * {@link ReceiptRefusal} code, never exceptions.
 *
 * @example
 * import { createReceiptVerifier } from '@tollgate/hono'
 * const verifyReceipt = createReceiptVerifier({ jwks: 'https://facilitator.example.com/.well-known/jwks.json' })
 * const checked = await verifyReceipt(receipt, { resourceUrl: 'https://api.example.com/weather' })
 * if (checked.ok) console.log(checked.claims.amount, checked.claims.transaction)
 */
export function createReceiptVerifier({
  jwks,
  fetch: fetchImpl = (...args) => fetch(...args),
  cacheMs = 300_000,
  refreshCooldownMs = 10_000,
  timeoutMs = 5_000,
  clock = systemClock,
}: CreateReceiptVerifierOptions): ReceiptVerifier {
  const remote = typeof jwks === 'string' || jwks instanceof URL ? String(jwks) : undefined
  let keys: readonly JWK[] | undefined = remote === undefined ? (jwks as ReceiptKeySet).keys : undefined
  // Never fetched: older than any cache and past any cooldown, whatever the clock reads.
  let fetchedAt = Number.NEGATIVE_INFINITY
  // Imported keys by JWK object (a refreshed JWKS brings new objects, so nothing stale is kept).
  const imported = new WeakMap<JWK, ReturnType<typeof importJWK>>()
  const importKey = (jwk: JWK, alg: string) => {
    let key = imported.get(jwk)
    if (!key) {
      key = importJWK({ ...jwk, alg }, alg)
      imported.set(jwk, key)
      key.catch(() => imported.delete(jwk))
    }
    return key
  }
  let loading: Promise<readonly JWK[] | undefined> | undefined

  async function load(): Promise<readonly JWK[] | undefined> {
    if (remote === undefined) return keys
    loading ??= (async () => {
      try {
        const response = await fetchImpl(remote, {
          headers: { accept: 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        })
        if (!response.ok) {
          await response.body?.cancel()
          return undefined
        }
        const document: unknown = await response.json()
        if (!isKeySet(document)) return undefined
        keys = document.keys
        fetchedAt = clock()
        return keys
      } catch {
        return undefined
      } finally {
        loading = undefined
      }
    })()
    return loading
  }

  /** The key of `kid`: from the cache, else (expired cache or unknown kid past the cooldown) fetched again. */
  async function keyOf(kid: string): Promise<{ key: JWK } | { code: 'receipt_unknown_key' | 'jwks_unreachable' }> {
    const fresh = clock() - fetchedAt < cacheMs
    if (remote !== undefined && (!keys || !fresh)) {
      const loaded = await load()
      if (!loaded && !keys) return { code: 'jwks_unreachable' }
    }
    let found = keys?.find((key) => key.kid === kid)
    if (!found && remote !== undefined && clock() - fetchedAt >= refreshCooldownMs) {
      const loaded = await load()
      if (!loaded) return { code: 'jwks_unreachable' }
      found = loaded.find((key) => key.kid === kid)
    }
    return found ? { key: found } : { code: 'receipt_unknown_key' }
  }

  return async function verifyReceipt(input, options = {}) {
    const { resourceUrl, maxAgeSeconds, now = systemNow } = options
    const jws =
      typeof input === 'string'
        ? input
        : 'format' in input && (input as SignedReceipt).format === 'jws'
          ? (input as SignedReceipt).signature
          : receiptOf(input as SettleResponse)?.signature
    if (typeof jws !== 'string' || jws.split('.').length !== 3)
      return refuse('receipt_malformed', 'No compact JWS receipt.')
    let header: { alg?: unknown; kid?: unknown }
    try {
      header = decodeProtectedHeader(jws)
    } catch {
      return refuse('receipt_malformed', 'The JWS header cannot be read.')
    }
    const { alg, kid } = header
    if (alg !== 'ES256' && alg !== 'EdDSA') {
      return refuse('receipt_unsupported_algorithm', `Algorithm ${String(alg)} is not ES256 or EdDSA.`)
    }
    if (typeof kid !== 'string' || kid === '') return refuse('receipt_malformed', 'The JWS header has no kid.')
    const found = await keyOf(kid)
    if ('code' in found) {
      return found.code === 'jwks_unreachable'
        ? refuse('jwks_unreachable', 'The facilitator JWKS could not be fetched.')
        : refuse('receipt_unknown_key', `No key ${kid} in the facilitator JWKS.`)
    }
    if (found.key.alg !== undefined && found.key.alg !== alg) {
      return refuse('receipt_signature_invalid', `Key ${kid} is for ${found.key.alg}, not ${alg}.`)
    }
    let payload: Uint8Array
    try {
      const key = await importKey(found.key, alg)
      ;({ payload } = await compactVerify(jws, key, { algorithms: [...algorithms] }))
    } catch (error) {
      if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWSInvalid) {
        return refuse('receipt_signature_invalid', 'The signature does not match the receipt.')
      }
      if (error instanceof errors.JOSEError || error instanceof TypeError) {
        return refuse('receipt_unknown_key', `Key ${kid} cannot verify ${alg}.`)
      }
      throw error
    }
    let claims: unknown
    try {
      claims = JSON.parse(new TextDecoder().decode(payload))
    } catch {
      return refuse('receipt_malformed', 'The receipt payload is not JSON.')
    }
    const parsed = receiptClaimsSchema.safeParse(claims)
    if (!parsed.success) return refuse('receipt_malformed', 'The receipt claims are not a Tollgate receipt.')
    if (resourceUrl !== undefined && parsed.data.resourceUrl !== resourceUrl) {
      return refuse('receipt_resource_mismatch', `The receipt is for ${parsed.data.resourceUrl}, not ${resourceUrl}.`)
    }
    const mismatch = paymentMismatch(parsed.data, options)
    if (mismatch !== undefined) return refuse('receipt_payment_mismatch', mismatch)
    if (maxAgeSeconds !== undefined) {
      const age = Number(now()) - parsed.data.issuedAt
      if (age > maxAgeSeconds || age < -60) return refuse('receipt_too_old', `Issued ${age} s ago.`)
    }
    return { ok: true, claims: parsed.data, kid, algorithm: alg }
  }
}

/** The first of the required payment terms the claims contradict, as a message; `undefined` when none does. */
function paymentMismatch(claims: ReceiptClaims, required: VerifyReceiptOptions): string | undefined {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase()
  if (required.payTo !== undefined && !same(claims.payTo, required.payTo)) {
    return `The receipt pays ${claims.payTo}, not ${required.payTo}.`
  }
  if (required.amount !== undefined && claims.amount !== String(required.amount)) {
    return `The receipt is for an amount of ${claims.amount}, not ${String(required.amount)}.`
  }
  if (required.asset !== undefined && !same(claims.asset, required.asset)) {
    return `The receipt is for asset ${claims.asset}, not ${required.asset}.`
  }
  if (required.network !== undefined && claims.network !== required.network) {
    return `The receipt is for network ${claims.network}, not ${required.network}.`
  }
  return undefined
}

/**
 * Verifies one receipt against a JWKS (its URL or the document) without keeping a verifier: see
 * {@link createReceiptVerifier} to cache the keys across calls.
 *
 * @example
 * const checked = await verifyReceipt(settleResponse, { jwks, resourceUrl })
 */
export function verifyReceipt(
  receipt: SignedReceipt | string | SettleResponse,
  options: VerifyReceiptOptions & CreateReceiptVerifierOptions,
): Promise<VerifyReceiptResult> {
  const { jwks, fetch: fetchImpl, cacheMs, refreshCooldownMs, timeoutMs, clock, ...check } = options
  return createReceiptVerifier({
    jwks,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(cacheMs === undefined ? {} : { cacheMs }),
    ...(refreshCooldownMs === undefined ? {} : { refreshCooldownMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(clock === undefined ? {} : { clock }),
  })(receipt, check)
}
