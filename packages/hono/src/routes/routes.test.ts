import { Hono } from 'hono'
import { Hono as QuickHono } from 'hono/quick'
import { Hono as TinyHono } from 'hono/tiny'
import { describe, expect, test } from 'vitest'
import type { FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import { paymentRequired } from '../paymentRequired.ts'
import type { RoutesOptions } from './routes.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const offer = { network: 'eip155:8453', price: '$0.001', payTo } as const

/** No request in this file carries a payment: the facilitator must never be asked. */
const facilitator: FacilitatorClient = {
  verify: async () => {
    throw new Error('verify must not be called')
  },
  settle: async () => {
    throw new Error('settle must not be called')
  },
}

function guard(routes: RoutesOptions, options: { cors?: false } = {}) {
  return paymentRequired({ facilitator, routes, paywall: false, ...options })
}

/** Records which handlers ran: `mark(name)` logs the name and returns it as the body. */
function served() {
  const log: string[] = []
  const mark = (name: string) => {
    log.push(name)
    return name
  }
  return { log, mark }
}

describe('route keys follow Hono dispatch', () => {
  test('default: a sub-app mounted with app.route guards its own paths under the mount', async () => {
    const { log, mark } = served()
    const sub = new Hono()
    sub.use(guard({ 'GET /weather': { accepts: offer } }))
    sub.get('/weather', (c) => c.text(mark('weather')))
    sub.get('/free', (c) => c.text(mark('free')))
    const app = new Hono()
    app.route('/api', sub)

    const res = await app.request('/api/weather')
    expect(res.status).toBe(402)
    expect(res.headers.get('payment-required')).toBeTruthy()
    expect((await app.request('/api/free')).status).toBe(200)
    expect(log).toEqual(['free'])
  })

  test('behavior: an app with basePath guards its keys under the base path', async () => {
    const { log, mark } = served()
    const app = new Hono().basePath('/v1')
    app.use(guard({ 'GET /weather': { accepts: offer } }))
    app.get('/weather', (c) => c.text(mark('weather')))
    expect((await app.request('/v1/weather')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: nested mounts and a mount with a parameter', async () => {
    const { log, mark } = served()
    const sub = new Hono()
    sub.use(guard({ 'GET /weather/:city': { accepts: offer }, 'GET /': { accepts: offer } }))
    sub.get('/weather/:city', (c) => c.text(mark(c.req.param('city'))))
    sub.get('/', (c) => c.text(mark('index')))
    const mid = new Hono().basePath('/v2')
    mid.route('/', sub)
    const app = new Hono()
    app.route('/:tenant', mid)
    expect((await app.request('/acme/v2/weather/oslo')).status).toBe(402)
    expect((await app.request('/acme/v2')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: the same guarded sub-app mounted twice is guarded at both mounts', async () => {
    const { log, mark } = served()
    const sub = new Hono()
    sub.use(guard({ '/report': { accepts: offer } }))
    sub.post('/report', (c) => c.text(mark('report')))
    const app = new Hono()
    app.route('/a', sub)
    app.route('/b', sub)
    expect((await app.request('/a/report', { method: 'POST' })).status).toBe(402)
    expect((await app.request('/b/report', { method: 'POST' })).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: a middleware registered on a path pattern keeps keys relative to its app', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use('/paid/*', guard({ '/paid': { accepts: offer }, 'GET /paid/*': { accepts: offer } }))
    app.get('/paid', (c) => c.text(mark('paid')))
    app.get('/paid/report', (c) => c.text(mark('report')))
    expect((await app.request('/paid')).status).toBe(402)
    expect((await app.request('/paid/report')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: a plain OPTIONS (no Access-Control-Request-Method) to an app.all route pays', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use(guard({ '/files/*': { accepts: offer } }))
    app.all('/files/*', (c) => c.text(mark(c.req.method)))
    const plain = await app.request('/files/a.txt', { method: 'OPTIONS' })
    expect(plain.status).toBe(402)
    // A real preflight is still answered without running the handler.
    const preflight = await app.request('/files/a.txt', {
      method: 'OPTIONS',
      headers: { Origin: 'https://buyer.example', 'Access-Control-Request-Method': 'PUT' },
    })
    expect(preflight.status).toBe(204)
    expect(log).toEqual([])
  })

  test('behavior: with cors: false an OPTIONS with Access-Control-Request-Method is priced, not passed', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use(guard({ '/files/*': { accepts: offer } }, { cors: false }))
    app.all('/files/*', (c) => c.text(mark(c.req.method)))
    const res = await app.request('/files/a.txt', {
      method: 'OPTIONS',
      headers: { Origin: 'https://buyer.example', 'Access-Control-Request-Method': 'GET' },
    })
    expect(res.status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: an OPTIONS key guards app.options; a GET key leaves OPTIONS to the app', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use(guard({ 'OPTIONS /describe': { accepts: offer }, 'GET /weather': { accepts: offer } }))
    app.options('/describe', (c) => c.text(mark('describe')))
    app.options('/weather', (c) => c.text(mark('weather options')))
    expect((await app.request('/describe', { method: 'OPTIONS' })).status).toBe(402)
    expect((await app.request('/weather', { method: 'OPTIONS' })).status).toBe(200)
    expect(log).toEqual(['weather options'])
  })

  test('behavior: HEAD pays for a GET key, in a sub-app too', async () => {
    const { log, mark } = served()
    const sub = new Hono()
    sub.use(guard({ 'GET /weather': { accepts: offer } }))
    sub.get('/weather', (c) => c.text(mark('weather')))
    const app = new Hono()
    app.route('/api', sub)
    expect((await app.request('/api/weather', { method: 'HEAD' })).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: methods in any case are priced as Hono dispatches them', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use(guard({ 'PATCH /items/:id': { accepts: offer } }))
    app.all('/items/:id', (c) => c.text(mark(c.req.method)))
    // fetch does not normalize PATCH; Hono dispatches a lowercase `patch` to app.all.
    expect((await app.request('/items/1', { method: 'patch' })).status).toBe(402)
    expect((await app.request('/items/1', { method: 'PATCH' })).status).toBe(402)
    expect(log).toEqual([])
  })

  test.each([
    ['/%77eather', 'a percent-encoded letter'],
    ['/weather?city=Oslo', 'a query string'],
    ['/weather#top', 'a fragment'],
    ['/api/%77eather', 'a percent-encoded letter under a mount'],
  ])('behavior: %s (%s) is the protected route', async (path) => {
    const { log, mark } = served()
    const sub = new Hono()
    sub.use(guard({ 'GET /weather': { accepts: offer } }))
    sub.get('/weather', (c) => c.text(mark('weather')))
    const app = new Hono()
    app.use(guard({ 'GET /weather': { accepts: offer } }))
    app.get('/weather', (c) => c.text(mark('weather')))
    app.route('/api', sub)
    expect((await app.request(path)).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: an encoded slash is not a slash, for the key as for the app', async () => {
    const { log, mark } = served()
    const app = new Hono()
    app.use(guard({ 'GET /files/:name': { accepts: offer } }))
    app.get('/files/:name', (c) => c.text(mark(c.req.param('name'))))
    expect((await app.request('/files/a%2Fb')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: strict: false serves /weather/ with the /weather handler, and prices it', async () => {
    const { log, mark } = served()
    const app = new Hono({ strict: false })
    app.use(guard({ 'GET /weather': { accepts: offer } }))
    app.get('/weather', (c) => c.text(mark('weather')))
    expect((await app.request('/weather/')).status).toBe(402)
    expect(log).toEqual([])
  })

  test.each([
    ['hono/quick (LinearRouter)', () => new QuickHono()],
    ['hono/tiny (PatternRouter)', () => new TinyHono()],
  ])('behavior: %s dispatches /weather/ to /weather; it is priced', async (_, make) => {
    const { log, mark } = served()
    const app = make()
    app.use(guard({ 'GET /weather': { accepts: offer } }))
    app.get('/weather', (c) => c.text(mark('weather')))
    expect((await app.request('/weather')).status).toBe(402)
    expect((await app.request('/weather/')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: a Hono app mounted with app.mount guards its own paths', async () => {
    const { log, mark } = served()
    const inner = new Hono()
    inner.use(guard({ 'GET /weather': { accepts: offer } }))
    inner.get('/weather', (c) => c.text(mark('weather')))
    const app = new Hono()
    app.mount('/legacy', inner.fetch)
    expect((await app.request('/legacy/weather')).status).toBe(402)
    expect(log).toEqual([])
  })

  test('behavior: unprotected routes of a guarded sub-app still pass through', async () => {
    const sub = new Hono()
    sub.use(guard({ 'GET /weather': { accepts: offer } }))
    sub.get('/health', (c) => c.text('ok'))
    sub.post('/weather', (c) => c.text('posted'))
    const app = new Hono()
    app.route('/api', sub)
    expect((await app.request('/api/health')).status).toBe(200)
    expect((await app.request('/api/weather', { method: 'POST' })).status).toBe(200)
  })
})

describe('keys that can never match are refused at construction', () => {
  const attempt = (routes: RoutesOptions) => () => guard(routes)

  test('behavior: a method Hono never dispatches', () => {
    expect(attempt({ 'HEAD /weather': { accepts: offer } })).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["HEAD /weather"]: can never match: Hono serves HEAD with the GET handlers; a "GET /path" key covers HEAD]`,
    )
    expect(attempt({ 'TRACE /weather': { accepts: offer } })).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["TRACE /weather"]: can never match: fetch refuses TRACE requests, so Hono never sees one]`,
    )
    expect(attempt({ 'CONNECT /weather': { accepts: offer } })).toThrow(
      /routes\["CONNECT \/weather"\]: can never match/,
    )
  })

  test('behavior: a path with a query string, a fragment or an encoded character', () => {
    expect(attempt({ 'GET /weather?city=Oslo': { accepts: offer } })).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["GET /weather?city=Oslo"]: can never match: a routed path never contains "?" (the query string is not part of it); only an optional parameter ends in "?" (/:name?)]`,
    )
    expect(attempt({ 'GET /weather#now': { accepts: offer } })).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["GET /weather#now"]: can never match: a routed path never contains "#" (the fragment is not sent)]`,
    )
    expect(attempt({ 'GET /%77eather': { accepts: offer } })).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["GET /%77eather"]: can never match: Hono matches the decoded path, so "%77" never appears in it; write "w"]`,
    )
    expect(attempt({ 'GET /caf%C3%A9': { accepts: offer } })).toThrow(/write "é"/)
    // What Hono keeps encoded can match, and optional parameters are patterns, not queries.
    expect(attempt({ 'GET /files/a%2Fb': { accepts: offer }, 'GET /city/:name?': { accepts: offer } })).not.toThrow()
  })

  test('behavior: a pattern no Hono router takes', () => {
    expect(attempt({ 'GET /items/:id{[0-9}': { accepts: offer } })).toThrow(
      /routes\["GET \/items\/:id\{\[0-9\}"\]: is not a Hono path pattern: Invalid regular expression/,
    )
  })

  test('behavior: a key shadowed by an earlier one', () => {
    expect(
      attempt({ '/weather': { accepts: offer }, 'GET /weather': { accepts: { ...offer, price: '$0.002' } } }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[ConfigError: paymentRequired: routes["GET /weather"]: can never match: routes["/weather"] comes first and covers it]`,
    )
    expect(attempt({ 'GET /weather': { accepts: offer }, 'GET  /weather': { accepts: offer } })).toThrow(
      /routes\["GET {2}\/weather"\]: can never match: routes\["GET \/weather"\] comes first/,
    )
    // A narrower key first is fine: the wider one still covers the other methods.
    expect(attempt({ 'GET /weather': { accepts: offer }, '/weather': { accepts: offer } })).not.toThrow()
  })
})
