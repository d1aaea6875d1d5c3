import type { IncomingMessage } from 'node:http'
import { type Facilitator, release, releaseExtension, settle, supported, verify } from '@tollgate/facilitator'
import { type ErrorCode, tollgateExtensions } from '@tollgate/protocol'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { type Authenticate, authFailures, mayActFor, requireCaller } from './auth.ts'
import type { RateLimit } from './rateLimit.ts'

export type CreateAppOptions = {
  /** Largest accepted request body, in bytes. Default `65536`. */
  maxBodyBytes?: number
  /** Where unexpected errors are reported (never to the client). Default `console.error`. */
  logError?: (error: unknown) => void
  // --- rate limits (issue 9, item 3) ---
  /**
   * Rate limiting (see `createRateLimit`): the limit per client address before every route but the
   * exempt ones (so guessing keys is limited too), the limit per API key after authentication has set
   * `c.get('caller')`. Default: none.
   */
  rateLimit?: Pick<RateLimit, 'byAddress' | 'byKey'>
  // --- end rate limits ---
  /**
   * Who may call `/verify`, `/settle` and `/release` (API keys and JWTs, see auth.ts): each route
   * needs its scope and a payTo on the caller's list; the caller is `c.var.caller`. Default: none,
   * every caller is let through (the service always passes one unless `TOLLGATE_AUTH=off`).
   */
  authenticate?: Authenticate
}

type Failure = { error: ErrorCode | 'not_found'; message: string }

const badRequest = (c: Context, error: ErrorCode, message: string) => c.json({ error, message } satisfies Failure, 400)

type Body = { ok: true; body: unknown } | { ok: false; code: 'invalid_request' | 'payload_too_large'; message: string }

/** Reads Node's request stream directly (no web-stream `Request`), stopping past `max` bytes. */
function readIncoming(incoming: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const onData = (chunk: Uint8Array) => {
      size += chunk.length
      if (size > max) {
        incoming.off('data', onData)
        incoming.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    incoming.on('data', onData)
    incoming.once('end', () => resolve(size > max ? undefined : new TextDecoder().decode(concat(chunks, size))))
    incoming.once('error', reject)
  })
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/**
 * The JSON body, bounded: a declared or actual size past `max` is `payload_too_large`. Under
 * `@hono/node-server` the Node stream is read directly (building a web `Request` and its streams
 * costs more than the whole verification); elsewhere (`app.request()`, other runtimes) through Hono.
 */
async function readJson(c: Context, max: number): Promise<Body> {
  const tooLarge: Body = { ok: false, code: 'payload_too_large', message: `The body is larger than ${max} bytes.` }
  const declared = Number(c.req.header('content-length') ?? Number.NaN)
  if (declared > max) return tooLarge
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  let text: string | undefined
  if (incoming && typeof incoming.on === 'function' && !incoming.readableEnded) {
    text = await readIncoming(incoming, max)
  } else {
    text = await c.req.text()
    if (new TextEncoder().encode(text).length > max) text = undefined
  }
  if (text === undefined) return tooLarge
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
 *   networks and bodies over the limit.
 * - `POST /release` (extension `tollgate-release`): same body as `/verify`; gives a held reservation
 *   back (`reserved -> released`) and answers `{ released: true | false }`.
 * - `GET /supported`: v2 kinds for enabled CAIP-2 networks, v1 kinds for their v1 names,
 *   `extensions: ['tollgate-release']`, `signers: { "eip155:*": [...] }`.
 * - `GET /health`: `{ status: 'ok', networks, signers, signerStatus }` (per signer: network, address,
 *   balance in wei as a decimal string or `null` before the first read, in-flight count, low, leased).
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
  { maxBodyBytes = 65_536, logError = console.error, rateLimit, authenticate }: CreateAppOptions = {},
): Hono {
  const app = new Hono()
  const open: MiddlewareHandler = async function noAuth(_c, next) {
    await next()
  }
  const authenticated = (scope: 'verify' | 'settle' | 'release') =>
    authenticate ? requireCaller(authenticate, scope) : open
  const limitByKey = rateLimit?.byKey ?? open
  /** The payTo check: a caller (when auth is on) acts only for the payees on its list. */
  const forbidden = (c: Context, body: unknown) =>
    mayActFor(c.get('caller'), body) ? undefined : c.json(authFailures.forbiddenPayTo, 403)
  // --- rate limits (issue 9, item 3) ---
  if (rateLimit) app.use('*', rateLimit.byAddress)
  // --- end rate limits ---

  app.post('/verify', authenticated('verify'), limitByKey, async function verifyRoute(c) {
    const read = await readJson(c, maxBodyBytes)
    if (!read.ok) return badRequest(c, read.code, read.message)
    const refused = forbidden(c, read.body)
    if (refused) return refused
    const result = await verify(facilitator, read.body)
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.post('/settle', authenticated('settle'), limitByKey, async function settleRoute(c) {
    const read = await readJson(c, maxBodyBytes)
    if (!read.ok) return badRequest(c, read.code, read.message)
    const refused = forbidden(c, read.body)
    if (refused) return refused
    const result = await settle(facilitator, read.body)
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.post('/release', authenticated('release'), limitByKey, async function releaseRoute(c) {
    const read = await readJson(c, maxBodyBytes)
    if (!read.ok) return badRequest(c, read.code, read.message)
    const refused = forbidden(c, read.body)
    if (refused) return refused
    const result = await release(facilitator, read.body)
    return result.ok ? c.json(result.response) : badRequest(c, result.code, result.message)
  })

  app.get('/supported', function supportedRoute(c) {
    const answer = supported(facilitator)
    return c.json({ ...answer, extensions: [...answer.extensions, releaseExtension, tollgateExtensions.delivery] })
  })

  app.get('/health', function healthRoute(c) {
    const { kinds, signers } = supported(facilitator)
    return c.json({
      status: 'ok',
      networks: kinds.filter((kind) => kind.x402Version === 2).map((kind) => kind.network),
      signers,
      signerStatus: [...facilitator.networks.values()].flatMap(({ network, settler }) =>
        settler.signers().map(({ address, balance, inFlight, low, leased }) => ({
          network,
          address,
          balance: balance === undefined ? null : balance.toString(),
          inFlight,
          low,
          leased,
        })),
      ),
    })
  })

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
