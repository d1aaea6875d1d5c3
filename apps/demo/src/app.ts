import {
  type Delivery,
  discoveryDocuments,
  type FacilitatorClient,
  type Price,
  paymentRequired,
  type RoutesOptions,
} from '@tollgate/hono'
import { mcpPayments, serveMcp } from '@tollgate/mcp'
import { type Context, type Env, Hono } from 'hono'
import * as z from 'zod'
import { demoMcpServer, demoTools } from './mcp.ts'
import { cities, compareWeather, conditions, prices, weatherOf } from './weather.ts'

export { prices } from './weather.ts'

/** What the demo needs: where payments go and who checks them. */
export type DemoOptions = {
  /** The seller's address (default in the local stack: dev account #1). */
  payTo: string
  facilitator: FacilitatorClient
  /** CAIP-2 network of the offers. Default `eip155:8453` (Base; the local chain impersonates it). */
  network?: string
  /**
   * The API's public origin, or a function of the request that returns it: quotes, receipts and
   * catalogue entries name the routes under it (see `paymentRequired`'s `origin`). Default: none.
   */
  origin?: string | ((c: Context) => string | undefined)
  /**
   * When `/weather` is served: `'settled'` (default) once its settlement's receipt is seen, or
   * `'optimistic'` once the payment is verified, reserved and its settlement broadcast.
   */
  delivery?: Delivery
}

/** The `?city=` of a request (default Lisbon), or `undefined` when the demo has no data for it. */
function cityOf(c: { req: { query(key: string): string | undefined } }): string | undefined {
  const wanted = (c.req.query('city') ?? 'Lisbon').toLowerCase()
  return cities.find((city) => city.toLowerCase() === wanted)
}

const unknownCity = { error: 'unknown_city', cities } as const

/** `?days=` of /forecast: 1 to 7, default 3 (anything else is refused with 400 before the quote). */
export function forecastDays(c: { req: { query(key: string): string | undefined } }): number {
  const days = c.req.query('days')
  return days === undefined ? 3 : Number(days)
}

/** One day's weather, as the paid routes answer it. */
const weatherSchema = z.object({
  tempC: z.number().int(),
  condition: z.enum(conditions),
  humidity: z.number().int(),
  windKph: z.number().int(),
})

/**
 * The demo's paid routes: price and description together, so the 402's `bazaar` extension,
 * `/.well-known/x402` and `/openapi.json` all come from this one table. `/weather` is described with
 * JSON Schema, the others with zod.
 */
export function demoRoutes<E extends Env = Env>(
  payTo: string,
  network: string,
  delivery: Delivery = 'settled',
): RoutesOptions<E> {
  const city = z.string().optional().describe('A city name; default Lisbon (an unknown city is a 404)')
  return {
    'GET /weather': {
      accepts: { network, price: prices.weather, payTo },
      description: 'Current weather for a city',
      ...(delivery === 'optimistic' ? { delivery } : {}),
      input: {
        query: {
          type: 'object',
          properties: { city: { type: 'string', description: 'A city name; default Lisbon' } },
        },
      },
      output: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          tempC: { type: 'integer' },
          condition: { type: 'string', enum: [...conditions] },
          humidity: { type: 'integer' },
          windKph: { type: 'integer' },
          paidBy: { type: 'string' },
        },
        required: ['city', 'tempC', 'condition', 'humidity', 'windKph'],
      },
      example: {
        query: { city: 'Lisbon' },
        output: { city: 'Lisbon', tempC: 21, condition: 'sunny', humidity: 60, windKph: 12 },
      },
    },
    'GET /forecast': {
      accepts: {
        network,
        // Dynamic: the price is rebuilt from the request, identically on the paid retry.
        price: (c): Price => prices.forecastPerDay * BigInt(forecastDays(c)),
        priceRange: { min: prices.forecastPerDay, max: prices.forecastPerDay * 7n },
        payTo,
      },
      description: 'Daily forecast, $0.001 per day (?days=1..7)',
      input: {
        query: z.object({
          city,
          days: z.coerce.number().int().min(1).max(7).optional().describe('Days to forecast, 1 to 7; default 3'),
        }),
      },
      output: z.object({
        city: z.string(),
        days: z.array(weatherSchema.extend({ day: z.number().int() })),
      }),
      example: {
        query: { city: 'Lisbon', days: 2 },
        output: {
          city: 'Lisbon',
          days: [
            { day: 1, tempC: 20, condition: 'sunny', humidity: 55, windKph: 10 },
            { day: 2, tempC: 18, condition: 'rain', humidity: 80, windKph: 25 },
          ],
        },
      },
    },
    'GET /history': {
      accepts: { network, price: prices.history, payTo },
      description: 'Thirty days of observations (charged before it is served)',
      settle: 'before',
      input: { query: z.object({ city }) },
      output: z.object({
        city: z.string(),
        observations: z.array(weatherSchema.extend({ daysAgo: z.number().int() })),
        transaction: z.string().optional(),
      }),
      example: { query: { city: 'Oslo' } },
    },
    // A JSON body: the middleware reads it (at most maxBodyBytes, 1 MiB by default; a larger one is
    // 413 payload_too_large) and checks it before the quote; the handler then reads it as usual.
    'POST /compare': {
      accepts: { network, price: prices.compare, payTo },
      description: "Today's weather in several cities, side by side (JSON body { cities })",
      input: {
        body: z.object({
          cities: z
            .array(z.string())
            .min(1)
            .max(cities.length)
            .describe('Cities to compare, 1 to 6 (an unknown city is a 404, not charged)'),
        }),
      },
      output: z.object({
        cities: z.array(weatherSchema.extend({ city: z.string() })),
        warmest: z.string(),
        paidBy: z.string().optional(),
      }),
      example: { body: { cities: ['Lisbon', 'Oslo'] }, output: compareWeather(['Lisbon', 'Oslo']) },
    },
  }
}

/**
 * The demo API: a paid weather service guarded by `@tollgate/hono`, with four paid routes at
 * different prices (one priced per request, one taking a JSON body) and free `/` and `/health`.
 *
 * | route | price |
 * | --- | --- |
 * | `GET /weather?city=` | $0.001 |
 * | `GET /forecast?city=&days=1..7` | $0.001 per day (dynamic) |
 * | `GET /history?city=` | $0.01, settled before the handler runs |
 * | `POST /compare` `{ cities }` | $0.002 (the body is read before payment: at most 1 MiB) |
 * | `POST /mcp`, tool `get_forecast` | $0.001 per day (from the arguments); `list_cities` free |
 *
 * @example
 * import { httpFacilitator } from '@tollgate/hono'
 * import { createDemoApp } from './app.ts'
 * const app = createDemoApp({ payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', facilitator: httpFacilitator({ url: 'http://127.0.0.1:4020' }) })
 */
export function createDemoApp<E extends Env = Env>({
  payTo,
  facilitator,
  network = 'eip155:8453',
  origin,
  delivery = 'settled',
}: DemoOptions): Hono<E> {
  const app = new Hono<E>()
  const routes = demoRoutes<E>(payTo, network, delivery)

  app.use(paymentRequired<E>({ facilitator, routes, ...(origin ? { origin } : {}) }))
  // MCP over Streamable HTTP: the paid tool get_forecast, priced like /forecast, with the same guarantees.
  const payments = mcpPayments({ facilitator })
  app.post(
    '/mcp',
    serveMcp<E>(() => demoMcpServer(payments, payTo, network)),
  )
  // GET /.well-known/x402 and GET /openapi.json, from the same routes.
  app.route('/', discoveryDocuments<E>({ routes, info: { title: 'Tollgate demo weather API', version: '1.0.0' } }))

  app.get('/', (c) =>
    c.json({
      name: 'Tollgate demo weather API',
      paid: {
        'GET /weather?city=Lisbon': '$0.001',
        'GET /forecast?city=Lisbon&days=3': '$0.001 per day',
        'GET /history?city=Lisbon': '$0.01 (settled before serving)',
        'POST /compare {"cities":["Lisbon","Oslo"]}': '$0.002',
        'POST /mcp tools/call get_forecast': '$0.001 per day',
      },
      mcp: { url: '/mcp', transport: 'streamable-http', tools: demoTools },
      free: ['GET /', 'GET /health', 'GET /.well-known/x402', 'GET /openapi.json'],
      cities,
    }),
  )

  app.get('/health', (c) => c.json({ ok: true }))

  // An unknown city is a 404: the handler answered >= 400, so the payment is not settled.
  app.get('/weather', (c) => {
    const city = cityOf(c)
    if (!city) return c.json(unknownCity, 404)
    const payment = c.get('payment')
    return c.json({ city, ...weatherOf(city, 0), paidBy: payment.payer })
  })

  app.get('/forecast', (c) => {
    const city = cityOf(c)
    if (!city) return c.json(unknownCity, 404)
    const days = forecastDays(c)
    return c.json({
      city,
      days: Array.from({ length: days }, (_, day) => ({ day: day + 1, ...weatherOf(city, day + 1) })),
    })
  })

  // Settled before this runs: even a 404 for an unknown city has been paid for.
  app.get('/history', (c) => {
    const { settlement } = c.get('payment')
    const city = cityOf(c)
    if (!city) return c.json({ ...unknownCity, transaction: settlement?.transaction }, 404)
    return c.json({
      city,
      observations: Array.from({ length: 30 }, (_, i) => ({ daysAgo: 30 - i, ...weatherOf(city, -30 + i) })),
      transaction: settlement?.transaction,
    })
  })

  // The middleware has read and checked the body (at most 1 MiB) before the quote; it reads here as any body.
  app.post('/compare', async (c) => {
    const { cities: wanted } = await c.req.json<{ cities: string[] }>()
    const known = wanted.map((name) => cities.find((city) => city.toLowerCase() === name.toLowerCase()))
    if (known.some((city) => city === undefined)) return c.json(unknownCity, 404)
    return c.json({ ...compareWeather(known as string[]), paidBy: c.get('payment').payer })
  })

  return app
}
