import {
  ConfigError,
  decodeHeader,
  defaultMaxHeaderLength,
  type ErrorCode,
  headers as headerNames,
  isResourceUrl,
  isX402Error,
  type PaymentPayload,
  paymentPayloadSchema,
} from '@tollgate/protocol'
import type { Context, Env, MiddlewareHandler, Next } from 'hono'
import { checkExactPayload } from './call/checkExactPayload.ts'
import { matchOffer } from './call/match.ts'
import { callRequestId, createPaidCalls, paidCall, paymentKey } from './call/paidCall.ts'
import { buildQuote, type Quote, type QuotedOffer, resolveOffers, staticOffers } from './call/quote.ts'
import type { CallContext, FacilitatorCall, FacilitatorClient } from './facilitator/facilitatorClient.ts'
import { isPlainObject } from './fail.ts'
import { defaultMaxBodyBytes } from './http/boundedBody.ts'
import {
  deliver,
  htmlResponse,
  jsonResponse,
  refused,
  replace,
  settleFailure,
  verifyFailure,
} from './http/paymentAnswers.ts'
import { paymentCors } from './http/paymentCors.ts'
import { checkInput, quoteExtensions } from './http/requestInput.ts'
import type { Payment } from './payment.ts'
import { createPaywall, type PaywallPage } from './paywall/createPaywall.ts'
import type { PaywallInfo } from './paywall/paywallInfo.ts'
import type { PaywallOptions } from './paywall/paywallOptions.ts'
import { declaration, toOrigin } from './receipts/resourceDeclaration.ts'
import { bindResponse, takeReceipt } from './receipts/responseHash.ts'
import { createOfferSigner, type OfferSigningOptions } from './receipts/signOffers.ts'
import { optimisticRequest } from './routes/delivery.ts'
import { type CompiledRoute, compileRoutes, type RoutesOptions } from './routes/routes.ts'

/** Options of {@link paymentRequired}. */
export type PaymentRequiredOptions<E extends Env = Env> = {
  /**
   * The protected routes, keyed `'GET /weather'` (one method) or `'/weather'` (any method), with Hono
   * path patterns (`/forecast/:city`, `/premium/*`). Requests matching no key pass through untouched.
   */
  routes: RoutesOptions<E>
  /** Where payments are verified and settled: {@link httpFacilitator} or any {@link FacilitatorClient}. */
  facilitator: FacilitatorClient
  /**
   * The API's public origin (`https://api.example.com`), or a function of the request that returns it
   * (e.g. from `c.env` on Workers). Quotes name each route under it, and it is what the seller asserts
   * to the facilitator as the resource served: the receipt's `resourceUrl` and the URL a discovery
   * catalogue lists. Default: none; quotes name the request's URL, whose host is the buyer's to
   * choose, so receipts and catalogues then name no resource (a route's own `resource` still does).
   */
  origin?: string | ((c: Context<E>) => string | undefined)
  /**
   * CORS for protected routes, with Hono's `cors()`: lets browsers send `PAYMENT-SIGNATURE` /
   * `X-PAYMENT` and read `PAYMENT-REQUIRED` / `PAYMENT-RESPONSE`, and answers their preflight.
   * Default `{ origin: '*' }`; `false` leaves CORS to the app.
   */
  cors?: false | { origin?: string }
  /**
   * The HTML page for browsers (`Accept: text/html`) on an unpaid request. Default: a built-in page
   * that shows what is sold and pays with the visitor's own wallet (served with a strict Content
   * Security Policy); an object sets its title, logo, colours and networks ({@link PaywallOptions});
   * a function renders your own (HTML, or `{ html, headers }` to send headers with it); `false` always
   * answers JSON.
   */
  paywall?: boolean | PaywallOptions | ((info: PaywallInfo) => string | PaywallPage)
  /** Longest payment header accepted, in characters. Default 16 384. */
  maxHeaderLength?: number
  /**
   * The most bytes of a body the middleware reads before payment, to check a route's declared
   * `input.body`; a larger body gets `413 payload_too_large` (a larger `Content-Length` unread, a
   * longer stream cancelled past the cap), and nothing is charged. A route may set its own
   * (`input.maxBodyBytes`). Routes that declare no body are never read. Default 1 048 576 (1 MiB).
   */
  maxBodyBytes?: number
  /**
   * Signs the offers of every unpaid 402 (x402 `offer-receipt` extension, JWS) with the seller's key,
   * except on routes with `signOffers: false`. Default: offers unsigned.
   */
  offerSigning?: OfferSigningOptions
}

const cacheLimit = 256

/** An incoming `X-Request-Id` is forwarded only when short and plain. */
/**
 * x402 payment middleware for Hono, on Node and Cloudflare Workers (Web APIs only).
 *
 * - Unpaid request to a protected route: `402` with the v2 quote in `PAYMENT-REQUIRED` and the v1
 *   quote as the JSON body (the same offers, rebuilt identically on every request), `Cache-Control:
 *   no-store`, CORS headers; browsers get an HTML paywall page.
 * - Paid request (`PAYMENT-SIGNATURE` v2 or `X-PAYMENT` v1): decode, match the offer, verify with the
 *   facilitator, run the handler (it reads `c.get('payment')`), settle only if it answered below 400,
 *   and return `PAYMENT-RESPONSE` (plus `X-PAYMENT-RESPONSE` for v1). A failed settlement withholds
 *   the content and answers 402 with the reason; a pending one answers 202 with the transaction.
 * - Routes with `settle: 'before'` settle before the handler runs.
 * - Malformed or oversized payment headers get 400 with a code, never 500.
 *
 * Configuration is validated and static quotes are encoded once, here; a bad option throws a
 * `ConfigError` naming the route and field.
 *
 * @example
 * import { Hono } from 'hono'
 * import { httpFacilitator, paymentRequired } from '@tollgate/hono'
 *
 * const app = new Hono()
 * app.use(
 *   paymentRequired({
 *     facilitator: httpFacilitator({ url: 'http://127.0.0.1:4020' }),
 *     routes: {
 *       'GET /weather': {
 *         accepts: { network: 'eip155:8453', price: '$0.001', payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' },
 *         description: 'Current weather',
 *       },
 *     },
 *   }),
 * )
 * app.get('/weather', (c) => c.json({ tempC: 21, paidBy: c.get('payment').payer }))
 *
 * @see x402-protocol reference §1, §2 (wire formats), §2.6 (dual-stack and matching)
 */
export function paymentRequired<E extends Env = Env>(options: PaymentRequiredOptions<E>): MiddlewareHandler<E> {
  if (!isPlainObject(options)) {
    throw new ConfigError({ message: 'paymentRequired: options must be an object { routes, facilitator }.' })
  }
  const { facilitator, cors = {}, paywall = true, maxHeaderLength = defaultMaxHeaderLength, origin } = options
  if (
    !isPlainObject(facilitator) ||
    typeof facilitator.verify !== 'function' ||
    typeof facilitator.settle !== 'function'
  ) {
    throw new ConfigError({
      message: 'paymentRequired: facilitator must have verify() and settle(), e.g. httpFacilitator({ url }).',
    })
  }
  if (cors !== false && (!isPlainObject(cors) || (cors.origin !== undefined && typeof cors.origin !== 'string'))) {
    throw new ConfigError({ message: "paymentRequired: cors must be false or { origin?: string } (default '*')." })
  }
  const fixedOrigin = typeof origin === 'string' ? toOrigin(origin) : undefined
  if (origin !== undefined && typeof origin !== 'function' && fixedOrigin === undefined) {
    throw new ConfigError({
      message: "paymentRequired: origin must be an http(s) origin such as 'https://api.example.com', or a function.",
      details: [`Received: ${JSON.stringify(origin)}`],
    })
  }
  if (typeof paywall !== 'boolean' && typeof paywall !== 'function' && !isPlainObject(paywall)) {
    throw new ConfigError({
      message: 'paymentRequired: paywall must be a boolean, an options object or a function returning HTML.',
    })
  }
  if (!Number.isInteger(maxHeaderLength) || maxHeaderLength <= 0) {
    throw new ConfigError({ message: 'paymentRequired: maxHeaderLength must be a positive integer.' })
  }
  const { maxBodyBytes = defaultMaxBodyBytes } = options
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ConfigError({ message: 'paymentRequired: maxBodyBytes must be a positive integer (bytes).' })
  }
  const table = compileRoutes(options.routes)
  const signQuote = options.offerSigning ? createOfferSigner(options.offerSigning) : undefined
  // A signed offer names its resource: the seller's origin or the route's own resource, never a Host the buyer chose.
  const unnamed =
    signQuote && origin === undefined && table.routes.find((r) => r.signOffers && r.resource === undefined)
  if (unnamed) {
    throw new ConfigError({
      message: `paymentRequired: offerSigning signs the resource URL of each offer; set origin (or ${unnamed.key}'s resource, or signOffers: false).`,
    })
  }
  const renderHtml: ((info: PaywallInfo) => string | PaywallPage) | undefined =
    paywall === false
      ? undefined
      : typeof paywall === 'function'
        ? paywall
        : createPaywall(paywall === true ? {} : paywall)

  const browsers = cors === false ? undefined : paymentCors(cors.origin ?? '*')
  /** A cached quote's 402 headers with the CORS ones merged, once per quote. */
  const unpaidHeaders = new WeakMap<Quote, Record<string, string>>()
  /** The 402 of an unpaid request, CORS headers in: the hot path, one `Response` from cached parts. */
  function unpaid(quote: Quote): Response {
    if (!browsers) return new Response(quote.body, { status: 402, headers: quote.responseHeaders })
    let headers = unpaidHeaders.get(quote)
    if (!headers) {
      headers = { ...quote.responseHeaders, ...browsers.headers }
      unpaidHeaders.set(quote, headers)
    }
    return new Response(quote.body, { status: 402, headers })
  }

  // Quotes by resource URL (static routes) or by URL and resolved offers (dynamic routes).
  const caches = new Map<CompiledRoute<E>, Map<string, Quote>>(table.routes.map((route) => [route, new Map()]))
  const remember = <T>(cache: Map<string, T>, key: string, value: T) => {
    // The oldest goes first (a Map iterates in insertion order).
    if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string)
    cache.set(key, value)
    return value
  }
  for (const route of table.routes) {
    if (route.isStatic && route.resource !== undefined) {
      const quote = buildQuote(route, route.resource, staticOffers(route, route.resource), quoteExtensions(route))
      caches.get(route)?.set(route.resource, quote)
    }
  }

  // Payments in flight and claims of lost settlement outcomes, shared by every request (paidCall.ts).
  const calls = createPaidCalls()

  /** The public URL of this request (the seller's origin, the request's path and query), when an origin is set. */
  function publicUrl(c: Context<E>): string | undefined {
    const base = fixedOrigin ?? (typeof origin === 'function' ? toOrigin(origin(c)) : undefined)
    if (base === undefined) return undefined
    const { pathname, search } = new URL(c.req.url)
    return `${base}${pathname}${search}`
  }

  async function quoteFor(route: CompiledRoute<E>, c: Context<E>): Promise<Quote> {
    const url = route.resource ?? publicUrl(c) ?? c.req.url
    const cache = caches.get(route) as Map<string, Quote>
    const build = (offers: readonly QuotedOffer[]) => buildQuote(route, url, offers, quoteExtensions(route, c))
    if (route.isStatic) return cache.get(url) ?? remember(cache, url, build(staticOffers(route, url)))
    const offers = await resolveOffers(route, c, url)
    let key = url
    for (const offer of offers) key += `\n${offer.v2.amount} ${offer.v2.payTo}`
    return cache.get(key) ?? remember(cache, key, build(offers))
  }

  /** The middleware's own answer with the CORS headers (`cors()`), or `undefined` when `c.res` holds the answer. */
  async function withCors(c: Context<E>, answer: Response | undefined): Promise<Response | undefined> {
    if (!browsers || answer === undefined) return answer
    c.res = answer
    await browsers.answer(c)
    return undefined
  }

  /**
   * Charges a paid request (`header` carries the payment): the middleware's own answer as a `Response`,
   * or `undefined` when `c.res` holds it (the handler's, the receipt added, or one that replaced it).
   */
  async function charge(
    c: Context<E>,
    next: Next,
    route: CompiledRoute<E>,
    quote: Quote,
    header: string,
  ): Promise<Response | undefined> {
    let payload: PaymentPayload
    try {
      payload = decodeHeader(paymentPayloadSchema, header, { maxLength: maxHeaderLength })
    } catch (error) {
      if (!isX402Error(error)) throw error
      return jsonResponse(400, { error: error.code as ErrorCode, message: error.shortMessage })
    }
    const matched = matchOffer(quote.offers, payload)
    if (!matched) return refused(quote, 'payment_requirements_mismatch', undefined)
    // A malformed payment is the buyer's fault: refused here, the facilitator is never asked.
    const malformed = checkExactPayload(payload)
    if (malformed !== undefined) return jsonResponse(400, { error: 'invalid_payload', message: malformed })

    const version = payload.x402Version
    const context: CallContext = { requestId: callRequestId(c.req.header('x-request-id')), c }
    const payment: Payment = {
      route: route.key,
      x402Version: version,
      requirements: matched.v2,
      amount: matched.amount,
      payer: undefined,
      payload,
      settlement: undefined,
    }
    let tollgate: NonNullable<FacilitatorCall['tollgate']> | undefined
    const asserted = route.resource !== undefined || publicUrl(c) !== undefined

    // Optimistic: settled first (delivered once broadcast), then the handler runs.
    const early = optimisticRequest(route.delivery, matched.amount, matched.asset.decimals)
    const outcome = await paidCall(calls, {
      facilitator,
      key: paymentKey(payload, matched, header),
      context,
      settle: early ? 'before' : route.settle,
      call: (claim): FacilitatorCall => {
        // The resource the seller asserts (its own resource or origin, never the buyer's Host) is the
        // receipt's resourceUrl and what a catalogue lists; bindResponse adds the body's hash.
        tollgate =
          asserted && isResourceUrl(quote.url) ? { claim, resource: quote.url, ...declaration(quote) } : { claim }
        if (early) tollgate = { ...tollgate, ...early }
        return payload.x402Version === 2
          ? { x402Version: 2, paymentPayload: payload, paymentRequirements: matched.v2, tollgate }
          : {
              x402Version: 1,
              paymentPayload: payload,
              paymentRequirements: matched.v1 as NonNullable<QuotedOffer['v1']>,
              tollgate,
            }
      },
      run: async (paid) => {
        payment.payer = paid.payer
        payment.settlement = paid.settlement
        takeReceipt(payment, paid.settlement)
        c.set('payment', payment)
        await next()
        // Settled after the handler: the receipt binds the body delivered, hashed (and buffered) first.
        if (!paid.settlement) await bindResponse(facilitator, c, tollgate)
      },
      failed: () => c.error !== undefined || c.res.status >= 400,
    })
    switch (outcome.status) {
      case 'busy':
        return jsonResponse(409, {
          error: 'authorization_in_use',
          message: 'This payment is already being processed by another request.',
        })
      case 'refused':
        return verifyFailure(quote, outcome.verdict)
      case 'unsettled': {
        takeReceipt(payment, outcome.result.response)
        const response = settleFailure(quote, matched, version, outcome.result)
        // The handler ran: its response is withheld, replaced by the settlement's answer.
        if (!outcome.ran) return response
        replace(c, response)
        await browsers?.answer(c)
        return
      }
      case 'failed':
        // The handler's own error answer, as it made it.
        return
      case 'served':
        takeReceipt(payment, outcome.settlement)
        deliver(c, outcome.settlement, version)
        await browsers?.answer(c)
        return
    }
  }

  return async function paymentRequired(c, next) {
    // A CORS preflight for a protected method is answered here; the handler never runs for it.
    if (browsers && c.req.method.toUpperCase() === 'OPTIONS') {
      const requested = c.req.header('access-control-request-method')
      if (requested && table.match(c, requested)) return browsers.preflight(c, requested)
    }
    // Every other request Hono dispatches, a plain OPTIONS included, pays when a key covers it.
    const route = table.match(c)
    if (!route) return next()
    // A request its route's declared input refuses gets 400 (413 for a body past the cap) before any quote: nobody pays for it.
    const invalid = await checkInput(route, c, maxBodyBytes)
    if (invalid) return withCors(c, jsonResponse(invalid.status, invalid.body))
    const header = c.req.header(headerNames.paymentSignature) ?? c.req.header(headerNames.xPayment)
    const quote = await quoteFor(route, c)
    if (header === undefined) {
      if (renderHtml && c.req.header('accept')?.includes('text/html'))
        return withCors(c, htmlResponse(quote, renderHtml))
      if (signQuote && route.signOffers && (route.resource !== undefined || publicUrl(c) !== undefined)) {
        return withCors(c, await signQuote(quote))
      }
      return unpaid(quote)
    }
    return withCors(c, await charge(c, next, route, quote, header))
  }
}
