import { headers as headerNames } from '@tollgate/protocol'
import type { Context, MiddlewareHandler } from 'hono'
import { cors } from 'hono/cors'

/** What a browser may read of a protected route's answer: the quote and the receipt. */
const exposeHeaders = [headerNames.paymentRequired, headerNames.paymentResponse, headerNames.xPaymentResponse]
/** What a browser may send to a protected route, besides the headers its preflight asks for. */
const allowHeaders = [
  headerNames.paymentSignature,
  headerNames.xPayment,
  'Access-Control-Expose-Headers',
  'Content-Type',
]
const allowOriginHeader = 'Access-Control-Allow-Origin'
const exposeHeadersHeader = 'Access-Control-Expose-Headers'

/** The `next` of a `cors()` run on an answer already made. */
const end = async () => {}

/**
 * `'*'` as `cors()` takes it; any other origin as a function, so it is sent whatever the request's
 * `Origin` (`cors()` sends a string origin only to a request from that origin).
 */
const allowOrigin = (origin: string) => (origin === '*' ? origin : () => origin)

/** The CORS of protected routes, written by Hono's `cors()` middleware. */
export type PaymentCors = {
  /** Answers the preflight of a protected method: `204`, and the handler never runs. */
  preflight: (c: Context, method: string) => ReturnType<MiddlewareHandler>
  /**
   * Adds `Access-Control-Allow-Origin` (the answer's own kept), the payment headers to
   * `Access-Control-Expose-Headers` (after the answer's own) and `Vary: Origin` (an origin other
   * than `'*'`) to the answer in `c.res`.
   */
  answer: (c: Context) => Promise<void>
  /**
   * What `answer` writes on an answer without CORS headers of its own, as one record: merged once into a
   * cached 402's headers, so the unpaid path builds no `Headers` per request.
   */
  headers: Readonly<Record<string, string>>
}

/**
 * Lets browsers send `PAYMENT-SIGNATURE` / `X-PAYMENT` to protected routes and read `PAYMENT-REQUIRED`
 * / `PAYMENT-RESPONSE` from them, with Hono's `cors()`: a preflight allows the payment headers and
 * those it asks for, for its method and `OPTIONS`, cached 10 minutes.
 *
 * @see https://hono.dev/docs/middleware/builtin/cors
 */
export function paymentCors(origin: string): PaymentCors {
  const plain = cors({ origin: allowOrigin(origin), exposeHeaders, allowMethods: [] })
  const headers: Record<string, string> = {
    [allowOriginHeader]: origin,
    [exposeHeadersHeader]: exposeHeaders.join(','),
    ...(origin === '*' ? {} : { Vary: 'Origin' }),
  }
  return {
    headers,
    preflight(c, method) {
      // Built per preflight: `cors()` takes a fixed list of allowed headers, here ours and the requested.
      const requested = c.req.header('Access-Control-Request-Headers')?.split(',') ?? []
      return cors({
        origin: allowOrigin(origin),
        allowMethods: [method, 'OPTIONS'],
        allowHeaders: [...allowHeaders, ...requested.map((name) => name.trim())],
        exposeHeaders,
        maxAge: 600,
      })(c, end)
    },
    async answer(c) {
      const headers = c.res.headers
      const ownOrigin = headers.get(allowOriginHeader)
      const ownExpose = headers.get(exposeHeadersHeader)
      const write =
        ownOrigin === null && ownExpose === null
          ? plain
          : cors({
              origin: allowOrigin(ownOrigin ?? origin),
              exposeHeaders: ownExpose === null ? exposeHeaders : [ownExpose, ...exposeHeaders],
              allowMethods: [],
            })
      // `cors()` takes every OPTIONS for a preflight and drops the body's headers; an OPTIONS that
      // reaches an answer here is a request for the route (priced like any method), so they are kept.
      const type = headers.get('Content-Type')
      const length = headers.get('Content-Length')
      await write(c, end)
      if (c.req.method !== 'OPTIONS') return
      if (type !== null) c.res.headers.set('Content-Type', type)
      if (length !== null) c.res.headers.set('Content-Length', length)
    },
  }
}
