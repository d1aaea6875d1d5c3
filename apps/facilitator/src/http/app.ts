import {
  type Facilitator,
  release,
  releaseExtension,
  settle,
  supported,
  systemNow,
  verify,
} from '@tollgate/facilitator'
import { type ErrorCode, offerReceiptExtension, tollgateExtensions } from '@tollgate/protocol'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { bodyLimit as honoBodyLimit } from 'hono/body-limit'
import { except } from 'hono/combine'
import { requestId } from 'hono/request-id'
import { parseCatalogueQuery, type ResourceCatalogue } from '../discovery/catalogue.ts'
import { createCatalogueRecorder } from '../discovery/catalogueRecorder.ts'
import type { Logger } from '../ops/logger.ts'
import type { Metrics } from '../ops/metrics.ts'
import type { Readiness } from '../ops/ready.ts'
import { mountReceiptRoutes } from '../receipts/receiptRoutes.ts'
import { type Authenticate, authFailures, identifyCaller, mayActFor, requireCaller } from './auth.ts'
import type { RateLimit } from './rateLimit.ts'

/** The app's context: the request id, and the body as text when a faster reader took it (see `bodyLimit`). */
export type AppEnv = { Variables: { requestId: string; body?: string } }

/**
 * A body limit with `hono/body-limit`'s signature; it may leave the body it read as text in
 * `c.var.body` (the Node server's reader, `nodeBodyLimit.ts`).
 */
export type BodyLimit = (options: { maxSize: number; onError: (c: Context) => Response }) => MiddlewareHandler

export type CreateAppOptions = {
  /** Largest accepted request body, in bytes; a larger one is 400 `payload_too_large`. Default `65536`. */
  maxBodyBytes?: number
  /** The body limit of `POST` routes. Default `hono/body-limit`; the Node server passes `nodeBodyLimit`. */
  bodyLimit?: BodyLimit
  /** Where unexpected errors are reported (never to the client). Default `logger.error`, else `console.error`. */
  logError?: (error: unknown) => void
  /**
   * Rate limiting (see `createRateLimit`), on every route but the exempt ones, once the request's
   * credentials were checked: a caller with valid credentials by its API key alone, anything else
   * (no or bad credentials, public routes: key guessing, scraping) by its client address. Default: none.
   */
  rateLimit?: Pick<RateLimit, 'middleware' | 'isExempt'>
  /**
   * Who may call `/verify`, `/settle` and `/release` (API keys and JWTs, see auth.ts): each route
   * needs its scope and a payTo on the caller's list; the caller is `c.var.caller`. Default: none,
   * every caller is let through (the service always passes one unless `TOLLGATE_AUTH=off`).
   */
  authenticate?: Authenticate
  // ---- operations (metrics, logs, readiness, shutdown) ----
  /** Structured logs: one line per `/verify` and `/settle` outcome with its request id. Default: none. */
  logger?: Logger
  /** Request outcomes and latencies; `GET /metrics` serves it (admin only). Default: no `/metrics`. */
  metrics?: Metrics
  /** Readiness checks behind `GET /ready`. Default: no `/ready`. */
  ready?: () => Promise<Readiness>
  /**
   * Whether the caller may see `/metrics` and `/ready` details: the `admin` scope. Default: the
   * caller the auth middleware set (`c.get('caller')`) has the `admin` scope; without auth nobody
   * does (use the separate metrics listener, `TOLLGATE_METRICS_PORT`).
   */
  requireAdmin?: (c: Context) => boolean | Promise<boolean>
  /** `true` once shutdown began: new `/verify`, `/settle` and `/release` answer 503, retryable. */
  draining?: () => boolean
  /**
   * The discovery catalogue behind the public `GET /discovery/resources`: every v2 payment settled
   * for an authenticated resource server that declared its resource (`tollgate.resource` and
   * `tollgate.discovery`) records it, after the answer, unless its payee is in `optOut` (lower-case
   * addresses). Default: no catalogue (404).
   */
  discovery?: { catalogue: ResourceCatalogue; optOut: ReadonlySet<string>; now?: () => bigint }
}

/** The `admin` scope of the caller set by the auth middleware (`c.get('caller')`), if any. */
export function hasAdminScope(c: Context): boolean {
  const caller = (c.get as (key: string) => unknown)('caller') as { scopes?: readonly string[] } | undefined
  return caller?.scopes?.includes('admin') === true
}

/** An incoming `X-Request-Id` is kept when it is short and plain; otherwise a new one is made. */
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/
const keptOrNew = (c: Context) => {
  const incoming = c.req.header('x-request-id')
  return incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID()
}

/** The outcome code of a route's answer, for logs and metrics. */
const verifyOutcome = (result: Awaited<ReturnType<typeof verify>>) =>
  result.ok ? (result.response.isValid ? 'valid' : (result.response.invalidReason ?? 'invalid')) : result.code
const settleOutcome = (result: Awaited<ReturnType<typeof settle>>) =>
  result.ok ? (result.response.success ? 'settled' : (result.response.errorReason ?? 'failed')) : result.code
// ---- end operations ----

type Failure = { error: ErrorCode | 'not_found'; message: string }

const badRequest = (c: Context, error: ErrorCode, message: string) => c.json({ error, message } satisfies Failure, 400)

type Body = { ok: true; body: unknown } | { ok: false; code: 'invalid_request'; message: string }

/** The JSON body the body limit let through (as text from a faster reader, `c.var.body`, or from the request). */
async function readJson(c: Context<AppEnv>): Promise<Body> {
  const text = c.get('body') ?? (await c.req.text())
  if (text.trim() === '')
    return { ok: false, code: 'invalid_request', message: 'The body is empty; send the request as JSON.' }
  try {
    return { ok: true, body: JSON.parse(text) }
  } catch {
    return { ok: false, code: 'invalid_request', message: 'The body is not valid JSON.' }
  }
}

/**
 * The facilitator's HTTP API as a Hono app (no listening: `app.request()` in tests,
 * `@hono/node-server` in production):
 *
 * - `POST /verify`, `POST /settle`: x402 v1 and v2 bodies; HTTP 200 with a complete
 *   `VerifyResponse`/`SettleResponse` for every well-formed request (failures included:
 *   `isValid: false` / `success: false`, `transaction: ""`, `network`); HTTP 400
 *   `{ error: code, message }` for malformed JSON, wrong types, unknown versions, schemes or
 *   networks and bodies over the limit. HTTP 503 `{ error: 'facilitator_unavailable', message }`
 *   with `Retry-After` for a settlement this node cannot take now (its payer's queue is full, or
 *   its wait ran out): overload, retryable; HTTP 429 `rate_limited` with `Retry-After` over a rate limit.
 * - `POST /release` (extension `tollgate-release`): same body as `/verify`; gives a held reservation
 *   back (`reserved -> released`) and answers `{ released: true | false }`.
 * - `GET /supported`: v2 kinds for enabled CAIP-2 networks, v1 kinds for their v1 names,
 *   `extensions: ['tollgate-release']`, `signers: { "eip155:*": [...] }`.
 * - `GET /health`: `{ status: 'up' }`, or 503 `{ status: 'down' }` while shutting down. Nothing else.
 * - `GET /ready` (with `ready`): 200 or 503 `{ ready }`; for admin also the checks and per signer
 *   network, address, balance (wei, decimal string), in-flight count, low, leased.
 * - `GET /metrics` (with `metrics`): Prometheus text, admin only (403 otherwise).
 * - `GET /.well-known/jwks.json`, `GET /receipts/:id` (when the facilitator signs receipts): see receiptRoutes.ts.
 * - Every answer carries `X-Request-Id` (the caller's, when plain, or a new one).
 *
 * One `onError`: `{ error, message }` with no stack trace.
 *
 * @example
 * import { createApp } from './app.ts'
 * const app = createApp(facilitator)
 * const response = await app.request('/supported')
 * @see x402-protocol reference §3
 */
export function createApp(
  facilitator: Facilitator,
  {
    maxBodyBytes = 65_536,
    bodyLimit = honoBodyLimit,
    logger,
    logError = logger ? (error: unknown) => logger.error({ err: error }, 'unexpected error') : console.error,
    metrics,
    ready,
    requireAdmin = hasAdminScope,
    draining = () => false,
    rateLimit,
    authenticate,
    discovery,
  }: CreateAppOptions = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  /** Records a settled payment's resource after the answer; a failing catalogue never fails the settlement. */
  const recorder =
    discovery &&
    createCatalogueRecorder({
      catalogue: discovery.catalogue,
      optOut: discovery.optOut,
      now: discovery.now ?? systemNow,
      logError,
    })

  // ---- operations: request id, shutdown refusal ----
  // hono's request id, with our rule for a caller's id: `limitLength: 0` hands every incoming id to
  // the generator, which keeps it when plain (requestIdPattern) and makes a new one otherwise.
  app.use('*', requestId({ limitLength: 0, generator: keptOrNew }))
  for (const path of ['/verify', '/settle', '/release']) {
    app.post(path, async function drainingGuard(c, next) {
      if (!draining()) return next()
      c.header('Retry-After', '1')
      c.header('Connection', 'close')
      return c.json(
        { error: 'facilitator_unavailable', message: 'The facilitator is shutting down; retry.' } satisfies Failure,
        503,
      )
    })
  }
  // ---- end operations ----

  // ---- auth and rate limits ----
  const open: MiddlewareHandler = async function noAuth(_c, next) {
    await next()
  }
  const authenticated = (scope: 'verify' | 'settle' | 'release') =>
    authenticate ? requireCaller(authenticate, scope) : open
  /** The caller, when it sent valid credentials, for the admin checks of `/metrics` and `/ready`. */
  const identified = authenticate ? identifyCaller(authenticate) : open
  /** The payTo check: a caller (when auth is on) acts only for the payees on its list. */
  const forbidden = (c: Context, body: unknown) =>
    mayActFor(c.get('caller'), body) ? undefined : c.json(authFailures.forbiddenPayTo, 403)
  // Credentials are checked once, before the limits (the routes' scope checks reuse the verdict);
  // not on the exempt paths (liveness, scraping), which are never limited: no unlimited key lookups.
  if (rateLimit) {
    const exempt = (c: Context) => rateLimit.isExempt(c.req.path)
    app.use('*', except(exempt, identified, rateLimit.middleware))
  }
  // ---- end auth and rate limits ----

  /** Past `maxBodyBytes` (declared or read), 400 `payload_too_large`: nothing is parsed. */
  const bounded = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) =>
      c.json(
        { error: 'payload_too_large', message: `The body is larger than ${maxBodyBytes} bytes.` } satisfies Failure,
        400,
      ),
  })

  app.post('/verify', authenticated('verify'), bounded, async function verifyRoute(c) {
    const started = performance.now()
    const read = await readJson(c)
    const refused = read.ok ? forbidden(c, read.body) : undefined
    if (refused) return refused
    const result = read.ok ? await verify(facilitator, read.body) : read
    const outcome = verifyOutcome(result)
    const seconds = (performance.now() - started) / 1000
    metrics?.verified(outcome, seconds)
    logger?.info(
      {
        requestId: c.get('requestId'),
        route: 'verify',
        outcome,
        payer: result.ok ? result.response.payer : undefined,
        ms: Math.round(seconds * 1000),
      },
      'verify',
    )
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.post('/settle', authenticated('settle'), bounded, async function settleRoute(c) {
    const started = performance.now()
    const read = await readJson(c)
    const refused = read.ok ? forbidden(c, read.body) : undefined
    if (refused) return refused
    const result = read.ok ? await settle(facilitator, read.body) : read
    if (read.ok && result.ok && result.response.success) recorder?.settled(read.body, c.get('caller'))
    const outcome = settleOutcome(result)
    const seconds = (performance.now() - started) / 1000
    metrics?.settled(
      outcome,
      seconds,
      result.ok && result.response.success && result.response.transaction
        ? { network: result.response.network, transaction: result.response.transaction }
        : undefined,
    )
    logger?.info(
      {
        requestId: c.get('requestId'),
        route: 'settle',
        outcome,
        payer: result.ok ? result.response.payer : undefined,
        network: result.ok ? result.response.network : undefined,
        transaction: result.ok && result.response.transaction ? result.response.transaction : undefined,
        ms: Math.round(seconds * 1000),
      },
      'settle',
    )
    if (!result.ok && 'retryAfterSeconds' in result && result.retryAfterSeconds !== undefined) {
      // Our overload (the payer's settlements queued past their bound): retryable, never the payment's fault.
      c.header('Retry-After', String(result.retryAfterSeconds))
      return c.json({ error: result.code, message: result.message } satisfies Failure, 503)
    }
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.post('/release', authenticated('release'), bounded, async function releaseRoute(c) {
    const read = await readJson(c)
    if (!read.ok) return badRequest(c, read.code, read.message)
    const refused = forbidden(c, read.body)
    if (refused) return refused
    const result = await release(facilitator, read.body)
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.get('/supported', function supportedRoute(c) {
    const answer = supported(facilitator)
    const extensions = [
      ...answer.extensions,
      releaseExtension,
      tollgateExtensions.delivery,
      ...(facilitator.receipts ? [offerReceiptExtension] : []),
    ]
    return c.json({ ...answer, extensions: discovery ? [...extensions, 'bazaar'] : extensions })
  })

  // Receipts (issue 13): the public keys, and lookup by id for the payee's key.
  mountReceiptRoutes(app, facilitator, { authenticate })

  // Public, read-only: the resources paid for through this facilitator, as the bazaar client lists them.
  if (discovery) {
    app.get('/discovery/resources', async function discoveryRoute(c) {
      const query = parseCatalogueQuery(new URL(c.req.url).searchParams)
      if (typeof query === 'string') return badRequest(c, 'invalid_request', query)
      const { items, total } = await discovery.catalogue.list(query)
      return c.json({ x402Version: 2, items, pagination: { limit: query.limit, offset: query.offset, total } })
    })
  }

  // ---- operations: health, readiness, metrics ----
  // Public liveness: up or down, nothing else (no addresses, balances or counts).
  app.get('/health', function healthRoute(c) {
    return draining() ? c.json({ status: 'down' }, 503) : c.json({ status: 'up' })
  })

  if (ready) {
    // 200 or 503 for anyone; the checks (and the signers' state) only for admin.
    app.get('/ready', identified, async function readyRoute(c) {
      const readiness = await ready()
      const status = readiness.ready ? 200 : 503
      if (!(await requireAdmin(c))) return c.json({ ready: readiness.ready }, status)
      return c.json({ ...readiness, signers: signerDetails(facilitator) }, status)
    })
  }

  if (metrics) {
    app.get('/metrics', identified, async function metricsRoute(c) {
      if (!(await requireAdmin(c))) {
        return c.json({ error: 'forbidden', message: 'The admin scope is required.' }, 403)
      }
      return c.body(await metrics.render(), 200, { 'content-type': metrics.contentType })
    })
  }
  // ---- end operations ----

  app.notFound((c) =>
    c.json({ error: 'not_found', message: `No route for ${c.req.method} ${c.req.path}.` } satisfies Failure, 404),
  )

  app.onError(function onError(error, c) {
    logError(error)
    const code: ErrorCode = c.req.path === '/settle' ? 'unexpected_settle_error' : 'unexpected_verify_error'
    return c.json({ error: code, message: 'Internal error.' } satisfies Failure, 500)
  })

  return app
}

/** Per signer: network, address, balance (wei as a decimal string, `null` before the first read), in flight, low, leased. */
export function signerDetails(facilitator: Facilitator) {
  return [...facilitator.networks.values()].flatMap(({ network, settler }) =>
    settler.signers().map(({ address, balance, inFlight, low, leased }) => ({
      network,
      address,
      balance: balance === undefined ? null : balance.toString(),
      inFlight,
      low,
      leased,
    })),
  )
}

/**
 * The operations app of the separate metrics listener (`TOLLGATE_METRICS_PORT`, loopback by
 * default): `GET /metrics` and `GET /ready` with details, without auth: whoever reaches that
 * address is the operator.
 */
export function createOpsApp(
  facilitator: Facilitator,
  { metrics, ready }: { metrics: Metrics; ready: () => Promise<Readiness> },
): Hono {
  const app = new Hono()
  app.get('/metrics', async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.contentType }))
  app.get('/ready', async (c) => {
    const readiness = await ready()
    return c.json({ ...readiness, signers: signerDetails(facilitator) }, readiness.ready ? 200 : 503)
  })
  app.notFound((c) => c.json({ error: 'not_found', message: 'Only GET /metrics and GET /ready here.' }, 404))
  return app
}
