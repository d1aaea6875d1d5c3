import {
  ConfigError,
  type ErrorCode,
  errorInfo,
  offerReceiptExtension,
  type SettleResponse,
  settleResponseSchema,
  supportedResponseSchema,
  tollgateExtensions,
  verifyResponseSchema,
} from '@tollgate/protocol'
import type { Context } from 'hono'
import {
  type CallContext,
  type FacilitatorCall,
  type FacilitatorClient,
  type SettleResult,
  type SupportedResult,
  toErrorCode,
  type VerifyResult,
} from './facilitatorClient.ts'

/** Header maps keyed by facilitator endpoint, as `createAuthHeaders` returns them. */
export type FacilitatorAuthHeaders = {
  verify?: Record<string, string>
  settle?: Record<string, string>
  supported?: Record<string, string>
  release?: Record<string, string>
}

/** Per-endpoint timeouts in milliseconds. */
export type FacilitatorTimeouts = { verify?: number; settle?: number; supported?: number; release?: number }

/**
 * Options of {@link httpFacilitator}. Structurally compatible with `@x402/core`'s `FacilitatorConfig`
 * and with what `@coinbase/x402`'s `createFacilitatorConfig()` returns.
 */
export type HttpFacilitatorConfig = {
  /** Base URL of the facilitator, e.g. `http://127.0.0.1:4020`; `/verify`, `/settle`, `/supported` are appended. */
  url?: string
  /**
   * Timeout per call in milliseconds, covering the response body. One number for all endpoints, or
   * per endpoint. Default: verify 10 000, settle 60 000, supported 10 000.
   */
  timeoutMs?: number | FacilitatorTimeouts
  /**
   * Returns auth headers per endpoint, called before every request. This is the shape
   * `@coinbase/x402`'s `createFacilitatorConfig()` and `@x402/core`'s `FacilitatorConfig` use, so
   * `httpFacilitator(createFacilitatorConfig(keyId, secret))` talks to Coinbase's hosted facilitator.
   * A flat map such as `{ Authorization }` is refused (it would silently drop auth). It receives the
   * request being paid for (`c`, when the middleware calls), e.g. to read a signing key from `c.env`,
   * and is how per-request JWTs reach Tollgate's facilitator too.
   */
  createAuthHeaders?: (c?: Context) => Promise<FacilitatorAuthHeaders>
  /**
   * An API key of the facilitator (`tollgate-facilitator keys create`), sent as
   * `Authorization: Bearer <key>` on every call. A value, or a function of the request being paid
   * for, e.g. `(c) => c.env.TOLLGATE_API_KEY` on Workers (called per call; when it answers nothing,
   * or there is no request, no key is sent). Not with `createAuthHeaders`.
   */
  apiKey?: string | ((c: Context) => string | undefined | Promise<string | undefined>)
  /** The fetch to use. Default: the global `fetch`. */
  fetch?: (request: Request) => Promise<Response>
}

/** A {@link FacilitatorClient} over HTTP, with its normalized base URL. */
export type HttpFacilitator = FacilitatorClient & {
  readonly url: string
  supported(c?: Context): Promise<SupportedResult>
}

const defaultTimeouts = { verify: 10_000, settle: 60_000, supported: 10_000, release: 10_000 } as const
const endpoints = ['verify', 'settle', 'supported', 'release'] as const
type Endpoint = (typeof endpoints)[number]

type Failure = { ok: false; code: ErrorCode; reason: string; message: string; retryAfterSeconds?: number }
type Exchange = { ok: true; status: number; json: unknown; retryAfterSeconds: number | undefined } | Failure

/** Longest `Retry-After` passed on to buyers, in seconds. */
const maxRetryAfterSeconds = 60

/**
 * When the facilitator is overloaded (it answered 429 or 503), the seconds to wait before the same
 * call: its `Retry-After` in seconds, between 1 and 60 (1 when it sent none or an HTTP date).
 */
function overloadRetryAfter(response: Response): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined
  const value = Number(response.headers.get('retry-after') ?? Number.NaN)
  return Number.isInteger(value) ? Math.min(Math.max(value, 1), maxRetryAfterSeconds) : 1
}

/** A failure with the facilitator's overload hint, when it gave one. */
function withRetryAfter<F extends Failure>(failure: F, seconds: number | undefined): F {
  return seconds === undefined ? failure : { ...failure, retryAfterSeconds: seconds }
}

function unavailable(message: string): Failure {
  return { ok: false, code: 'facilitator_unavailable', reason: 'facilitator_unavailable', message }
}

/** The code of a 4xx that names none, by status; otherwise `invalid_request`. */
const refusalByStatus: Readonly<Record<number, ErrorCode>> = {
  401: 'unauthorized',
  403: 'forbidden',
  413: 'payload_too_large',
  429: 'rate_limited',
}

/**
 * A 4xx answer: the facilitator refused this request, so it is never `facilitator_unavailable` (that is
 * for transport faults, timeouts and 5xx). Its `error` code is kept (`invalid_payload`,
 * `invalid_network`, ... as our facilitator answers `400 { error, message }`), unless it is one whose
 * status is a 5xx, which a 4xx cannot mean; a 4xx without a code gets one from its status.
 */
function refusal(endpoint: Endpoint, status: number, body: unknown): Failure {
  const fields = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {}
  const error = typeof fields.error === 'string' && fields.error !== '' ? fields.error : undefined
  const detail = [fields.message, fields.errorMessage, fields.invalidMessage].find((v) => typeof v === 'string')
  let code: ErrorCode = refusalByStatus[status] ?? 'invalid_request'
  if (error !== undefined) {
    const named = toErrorCode(error)
    code = errorInfo(named).status < 500 ? named : 'invalid_request'
  }
  const message = `${endpoint}: HTTP ${status}${detail === undefined ? '' : ` ${String(detail).slice(0, 200)}`}`
  return { ok: false, code, reason: error ?? code, message }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return `${error.message}${cause}`
  }
  return String(error)
}

function checkTimeout(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > 2_147_483_647) {
    throw new ConfigError({
      message: `httpFacilitator: ${field} must be a positive integer number of milliseconds.`,
      details: [`Received: ${JSON.stringify(value)}`],
    })
  }
  return value
}

/**
 * A facilitator client over HTTP: `POST /verify`, `POST /settle`, `GET /supported` (and `POST /release`
 * when the facilitator's `/supported` lists the `tollgate-release` extension), with a timeout
 * per call and per-endpoint auth headers. Works with Tollgate's facilitator, Coinbase's hosted one
 * (pass `createFacilitatorConfig()` from `@coinbase/x402`), or any x402 facilitator. It never
 * throws at request time: transport faults and timeouts come back as `facilitator_unavailable`,
 * malformed answers as `unexpected_verify_error` / `unexpected_settle_error`.
 *
 * Status handling: a body carrying `isValid` / `success` is a verdict whatever the HTTP status
 * (Coinbase answers rejections with 4xx), as in `@x402/core`. Any other 4xx is a refusal of the
 * request, never `facilitator_unavailable`: its `error` code when it names one (our facilitator
 * answers `400 { error: 'invalid_payload' | 'invalid_network' | ..., message }`), else a code from
 * the status (`unauthorized`, `forbidden`, `payload_too_large`, `rate_limited`, `invalid_request`). Only 5xx,
 * timeouts and transport faults are `facilitator_unavailable`.
 *
 * @example
 * import { httpFacilitator } from '@tollgate/hono'
 * const facilitator = httpFacilitator({ url: 'http://127.0.0.1:4020', apiKey: 'tg_…', timeoutMs: { settle: 30_000 } })
 * // On Workers, the key from the Worker's secrets, per request:
 * const onWorkers = httpFacilitator({ url, apiKey: (c) => c.env.TOLLGATE_API_KEY })
 *
 * @see x402-protocol reference §3 (facilitator API), §3.5 (auth headers)
 */
export function httpFacilitator(config: HttpFacilitatorConfig): HttpFacilitator {
  const { url, timeoutMs, createAuthHeaders, apiKey, fetch: fetchOption } = config ?? {}
  if (typeof url !== 'string' || url.length === 0) {
    throw new ConfigError({ message: 'httpFacilitator: url is required, e.g. "http://127.0.0.1:4020".' })
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch (cause) {
    throw new ConfigError({ message: `httpFacilitator: url is not a valid URL: ${JSON.stringify(url)}.`, cause })
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError({ message: `httpFacilitator: url must be http(s), received ${JSON.stringify(url)}.` })
  }
  if (createAuthHeaders !== undefined && typeof createAuthHeaders !== 'function') {
    throw new ConfigError({ message: 'httpFacilitator: createAuthHeaders must be a function returning a promise.' })
  }
  if (apiKey !== undefined && !(typeof apiKey === 'function' || (typeof apiKey === 'string' && apiKey.trim() !== ''))) {
    throw new ConfigError({
      message: 'httpFacilitator: apiKey must be a non-empty string or a function of the context.',
    })
  }
  if (apiKey !== undefined && createAuthHeaders !== undefined) {
    throw new ConfigError({ message: 'httpFacilitator: pass apiKey or createAuthHeaders, not both.' })
  }
  if (fetchOption !== undefined && typeof fetchOption !== 'function') {
    throw new ConfigError({ message: 'httpFacilitator: fetch must be a function.' })
  }
  const timeouts: Record<Endpoint, number> = { ...defaultTimeouts }
  if (typeof timeoutMs === 'number') {
    for (const endpoint of endpoints) timeouts[endpoint] = checkTimeout(timeoutMs, 'timeoutMs')
  } else if (timeoutMs !== undefined) {
    for (const endpoint of endpoints) {
      const value = timeoutMs[endpoint]
      if (value !== undefined) timeouts[endpoint] = checkTimeout(value, `timeoutMs.${endpoint}`)
    }
  }
  const base = url.replace(/\/+$/, '')
  // Bound to the global on purpose: workerd refuses a detached `fetch` ("Illegal invocation").
  const send = fetchOption ?? ((request: Request) => fetch(request))

  async function authHeaders(endpoint: Endpoint, c: Context | undefined): Promise<Record<string, string> | string> {
    if (apiKey !== undefined) {
      let key: string | undefined
      try {
        key = typeof apiKey === 'string' ? apiKey : c === undefined ? undefined : await apiKey(c)
      } catch (error) {
        return `apiKey failed: ${describe(error)}`
      }
      return key ? { authorization: `Bearer ${key.trim()}` } : {}
    }
    if (!createAuthHeaders) return {}
    let all: unknown
    try {
      all = await createAuthHeaders(c)
    } catch (error) {
      return `createAuthHeaders failed: ${describe(error)}`
    }
    if (all === null || typeof all !== 'object')
      return 'createAuthHeaders must resolve to { verify, settle, supported }.'
    const map = all as Record<string, unknown>
    for (const key of Object.keys(map)) {
      if (typeof map[key] === 'string') {
        return (
          'createAuthHeaders returned a flat header map; return one map per endpoint: ' +
          '{ verify: {...}, settle: {...}, supported: {...} }.'
        )
      }
    }
    const headers = map[endpoint]
    if (headers === undefined) return {}
    if (headers === null || typeof headers !== 'object') return `createAuthHeaders().${endpoint} must be a header map.`
    return headers as Record<string, string>
  }

  async function exchange(endpoint: Endpoint, body: unknown, context?: CallContext): Promise<Exchange> {
    const auth = await authHeaders(endpoint, context?.c)
    if (typeof auth === 'string') return unavailable(auth)
    const timeout = timeouts[endpoint]
    // The deadline is a race we own, not only the request's signal: Node's fetch copies the
    // Request, and after a garbage collection the copy no longer follows our signal
    // (nodejs/undici#4068), so an aborted call would wait for the answer however long it takes.
    const controller = new AbortController()
    const signal = controller.signal
    const deadline = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    })
    const timer = setTimeout(() => controller.abort(), timeout)
    const headers = new Headers(auth)
    headers.set('accept', 'application/json')
    if (context?.requestId) headers.set('x-request-id', context.requestId)
    let init: RequestInit = { method: 'GET', headers, signal }
    if (body !== undefined) {
      headers.set('content-type', 'application/json')
      init = { method: 'POST', headers, body: JSON.stringify(body), signal }
    }
    let text: string
    let response: Response
    let sent: Promise<Response> | undefined
    try {
      sent = send(new Request(`${base}/${endpoint}`, init))
      response = await Promise.race([sent, deadline])
      text = await Promise.race([response.text(), deadline])
    } catch (error) {
      if (signal.aborted) {
        // An answer that still comes after the deadline is dropped, not left holding the connection.
        sent?.then((late) => late.body?.cancel()).catch(() => {})
        const indeterminate = endpoint === 'settle' ? ' (the settlement outcome is unknown)' : ''
        return unavailable(`${endpoint}: the facilitator did not answer within ${timeout} ms${indeterminate}.`)
      }
      return unavailable(`${endpoint}: ${describe(error)}`)
    } finally {
      clearTimeout(timer)
    }
    const retryAfterSeconds = overloadRetryAfter(response)
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      if (response.status >= 400 && response.status < 500) {
        return withRetryAfter(
          refusal(endpoint, response.status, { message: text.trim() || undefined }),
          retryAfterSeconds,
        )
      }
      if (!response.ok) {
        return withRetryAfter(
          unavailable(`${endpoint}: HTTP ${response.status} ${text.slice(0, 200)}`.trim()),
          retryAfterSeconds,
        )
      }
      return {
        ok: false,
        code: endpoint === 'settle' ? 'unexpected_settle_error' : 'unexpected_verify_error',
        reason: endpoint === 'settle' ? 'unexpected_settle_error' : 'unexpected_verify_error',
        message: `${endpoint}: the facilitator answered ${response.status} with a body that is not JSON.`,
      }
    }
    return { ok: true, status: response.status, json, retryAfterSeconds }
  }

  function malformed(endpoint: Endpoint, status: number, json: unknown): Failure {
    const code: ErrorCode = endpoint === 'settle' ? 'unexpected_settle_error' : 'unexpected_verify_error'
    if (status >= 400 && status < 500) return refusal(endpoint, status, json)
    if (status < 200 || status > 299) {
      const error = json && typeof json === 'object' ? (json as Record<string, unknown>).error : undefined
      return unavailable(`${endpoint}: HTTP ${status}${typeof error === 'string' ? ` ${error}` : ''}`)
    }
    return { ok: false as const, code, reason: code, message: `${endpoint}: the facilitator's answer is malformed.` }
  }

  // The facilitator's /supported extensions: asked once, lazily (a failed ask is asked again next time).
  let extensions: Promise<readonly string[]> | undefined
  const hasExtension = async (name: string, c: Context | undefined) => {
    extensions ??= facilitator.supported(c).then((answer) => {
      if (!answer.ok) extensions = undefined
      return answer.ok ? answer.response.extensions : []
    })
    return (await extensions).includes(name)
  }
  /**
   * The body of a call: Tollgate's `tollgate` member only for a facilitator that reads it, and its
   * `discovery` declaration only on `/settle` (the one call a catalogue listens to).
   */
  const bodyOf = async ({ tollgate, ...call }: FacilitatorCall, c: Context | undefined, endpoint: Endpoint) => {
    const body = { x402Version: call.paymentPayload.x402Version, ...call }
    if (!tollgate || !(await hasExtension(tollgateExtensions.delivery, c))) return body
    if (endpoint === 'settle' || tollgate.discovery === undefined) return { ...body, tollgate }
    const { discovery: _, ...rest } = tollgate
    return { ...body, tollgate: rest }
  }

  const facilitator: HttpFacilitator = {
    url: base,

    async verify(call: FacilitatorCall, context?: CallContext): Promise<VerifyResult> {
      const answer = await exchange('verify', await bodyOf(call, context?.c, 'verify'), context)
      if (!answer.ok) return answer
      const parsed = verifyResponseSchema.safeParse(answer.json)
      if (!parsed.success)
        return withRetryAfter(malformed('verify', answer.status, answer.json), answer.retryAfterSeconds)
      const response = parsed.data
      const payer = response.payer ?? undefined
      if (response.isValid && answer.status >= 200 && answer.status < 300) return { ok: true, payer, response }
      const reason = response.invalidReason ?? (response.isValid ? `HTTP ${answer.status}` : 'payment_rejected')
      return {
        ok: false,
        code: toErrorCode(reason),
        reason,
        message: response.invalidMessage ?? undefined,
        payer,
      }
    },

    async settle(call: FacilitatorCall, context?: CallContext): Promise<SettleResult> {
      const answer = await exchange('settle', await bodyOf(call, context?.c, 'settle'), context)
      if (!answer.ok) return answer
      const parsed = settleResponseSchema.safeParse(answer.json)
      if (!parsed.success)
        return withRetryAfter(malformed('settle', answer.status, answer.json), answer.retryAfterSeconds)
      const response: SettleResponse = parsed.data
      if (response.success && answer.status >= 200 && answer.status < 300) return { ok: true, response }
      const reason = response.errorReason ?? (response.success ? `HTTP ${answer.status}` : 'payment_rejected')
      return { ok: false, code: toErrorCode(reason), reason, message: response.errorMessage ?? undefined, response }
    },

    async supported(c?: Context): Promise<SupportedResult> {
      const answer = await exchange('supported', undefined, { c })
      if (!answer.ok) return answer
      const parsed = supportedResponseSchema.safeParse(answer.json)
      if (!parsed.success || answer.status < 200 || answer.status > 299) {
        return unavailable(`supported: HTTP ${answer.status}, not a /supported answer.`)
      }
      return { ok: true, response: parsed.data }
    },

    async release(call: FacilitatorCall, context?: CallContext): Promise<void> {
      if (!(await hasExtension(tollgateExtensions.release, context?.c))) return
      await exchange('release', await bodyOf(call, context?.c, 'release'), context)
    },

    deliveryClaims: (c?: Context) => hasExtension(tollgateExtensions.delivery, c),
    receipts: (c?: Context) => hasExtension(offerReceiptExtension, c),
  }
  return facilitator
}
