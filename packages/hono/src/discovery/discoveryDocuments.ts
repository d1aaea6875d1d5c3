import { type Env, Hono } from 'hono'
import { isPlainObject } from '../fail.ts'
import type { CompiledRoute } from '../routes/routeOptions.ts'
import { compileRoutes, type RoutesOptions } from '../routes/routes.ts'
import { type OpenApiInfo, openApiDocument } from './openApi.ts'
import { wellKnownDocument } from './wellKnown.ts'

/** Options of {@link discoveryDocuments}. */
export type DiscoveryDocumentsOptions<E extends Env = Env> = {
  /** The same routes object given to `paymentRequired`: nothing is written twice. */
  routes: RoutesOptions<E>
  /** OpenAPI `info`. Default `{ title: 'Paid API', version: '1.0.0' }`. */
  info?: OpenApiInfo
  /**
   * The public origin (`https://api.example.com`) behind a proxy. Default: the origin of the
   * request for the document.
   */
  origin?: string
}

/**
 * The discovery documents of paid routes, as a Hono app to mount with one call:
 * `GET /.well-known/x402` (every paid resource, its offers and its `bazaar` description) and
 * `GET /openapi.json` (OpenAPI 3.1 with `x-payment-info` on each paid operation). Parameterised
 * paths are published as templates (`/forecast/:city`, `/forecast/{city}`); dynamic prices as
 * their `priceRange`, else `"dynamic"`.
 *
 * @example
 * const routes = { 'GET /weather': { accepts: { network: 'base', price: '$0.001', payTo }, input: { query: z.object({ city: z.string() }) } } }
 * app.use(paymentRequired({ facilitator, routes }))
 * app.route('/', discoveryDocuments({ routes, info: { title: 'Weather', version: '1.0.0' } }))
 *
 * @see specs/extensions/bazaar.md
 */
export function discoveryDocuments<E extends Env = Env>(options: DiscoveryDocumentsOptions<E>): Hono<E> {
  if (!isPlainObject(options)) throw new TypeError('discoveryDocuments: options must be { routes }')
  const routes = compileRoutes(options.routes).routes as unknown as readonly CompiledRoute<Env>[]
  const info = options.info ?? { title: 'Paid API', version: '1.0.0' }
  const originOf = (url: string) => options.origin ?? new URL(url).origin
  const headers = { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*' }
  const app = new Hono<E>()
  app.get('/.well-known/x402', (c) => c.json(wellKnownDocument(routes, originOf(c.req.url)), 200, headers))
  app.get('/openapi.json', (c) => c.json(openApiDocument(routes, originOf(c.req.url), info), 200, headers))
  return app
}
