import { type Facilitator, type Price, paymentRequired } from '@tollgate/hono'
import { type Env, Hono } from 'hono'

/** What the demo needs: where payments go and who checks them. */
export type DemoOptions = {
  /** The seller's address (default in the local stack: dev account #1). */
  payTo: string
  facilitator: Facilitator
  /** CAIP-2 network of the offers. Default `eip155:8453` (Base; the local chain impersonates it). */
  network?: string
}

/** The demo's prices, in USDC. */
export const prices = {
  weather: '$0.001',
  forecastPerDay: 1000n,
  history: '$0.01',
} as const

const cities = ['Lisbon', 'Paris', 'Tokyo', 'Lagos', 'Lima', 'Oslo'] as const
const conditions = ['sunny', 'cloudy', 'rain', 'windy', 'fog', 'snow'] as const

/** A stable pseudo-random number for a string, so the demo's weather is deterministic. */
function seed(text: string): number {
  let hash = 2166136261
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619)
  return hash >>> 0
}

/** The `?city=` of a request (default Lisbon), or `undefined` when the demo has no data for it. */
function cityOf(c: { req: { query(key: string): string | undefined } }): string | undefined {
  const wanted = (c.req.query('city') ?? 'Lisbon').toLowerCase()
  return cities.find((city) => city.toLowerCase() === wanted)
}

const unknownCity = { error: 'unknown_city', cities } as const

function weatherOf(city: string, day: number) {
  const n = seed(`${city.toLowerCase()}:${day}`)
  return {
    tempC: (n % 35) - 5,
    condition: conditions[n % conditions.length] as string,
    humidity: 30 + (n % 60),
    windKph: n % 40,
  }
}

/** `?days=` of /forecast: 1 to 7, default 3. */
export function forecastDays(c: { req: { query(key: string): string | undefined } }): number {
  const days = Number(c.req.query('days') ?? '3')
  return Number.isInteger(days) && days >= 1 && days <= 7 ? days : 3
}

/**
 * The demo API: a paid weather service guarded by `@tollgate/hono`, with three paid routes at
 * different prices (one priced per request) and free `/` and `/health`.
 *
 * | route | price |
 * | --- | --- |
 * | `GET /weather?city=` | $0.001 |
 * | `GET /forecast?city=&days=1..7` | $0.001 per day (dynamic) |
 * | `GET /history?city=` | $0.01, settled before the handler runs |
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
}: DemoOptions): Hono<E> {
  const app = new Hono<E>()

  app.use(
    paymentRequired<E>({
      facilitator,
      routes: {
        'GET /weather': {
          accepts: { network, price: prices.weather, payTo },
          description: 'Current weather for a city',
          outputSchema: { input: { type: 'http', method: 'GET', queryParams: { city: 'string' } } },
        },
        'GET /forecast': {
          accepts: {
            network,
            // Dynamic: the price is rebuilt from the request, identically on the paid retry.
            price: (c): Price => prices.forecastPerDay * BigInt(forecastDays(c)),
            payTo,
          },
          description: 'Daily forecast, $0.001 per day (?days=1..7)',
        },
        'GET /history': {
          accepts: { network, price: prices.history, payTo },
          description: 'Thirty days of observations (charged before it is served)',
          settle: 'before',
        },
      },
    }),
  )

  app.get('/', (c) =>
    c.json({
      name: 'Tollgate demo weather API',
      paid: {
        'GET /weather?city=Lisbon': '$0.001',
        'GET /forecast?city=Lisbon&days=3': '$0.001 per day',
        'GET /history?city=Lisbon': '$0.01 (settled before serving)',
      },
      free: ['GET /', 'GET /health'],
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

  return app
}
