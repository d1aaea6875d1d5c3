/**
 * The doctor (`tollgate-facilitator doctor URL`) on fixtures built to have each problem a catalogue
 * rejects, and on the demo, where it must find nothing.
 */
import type { FacilitatorClient } from '@tollgate/hono'
import { encodeHeader, headers, type PaymentRequiredV2 } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { createDemoApp } from '../../apps/demo/src/app.ts'
import { defaultPayTo } from '../../apps/demo/src/config.ts'
import { runDoctor, runDoctorCommand } from '../../apps/facilitator/src/commands/doctor.ts'
import { baseFeeFloor, startLocalChain } from '../chain/localChain.ts'

const origin = 'http://seller.test'
/** The demo's facilitator here: doctor reads 402s, it never pays. */
const neverPays: FacilitatorClient = {
  verify: async () => {
    throw new Error('the doctor never pays')
  },
  settle: async () => {
    throw new Error('the doctor never pays')
  },
}
const accepts: PaymentRequiredV2['accepts'] = [
  {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: '1000',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payTo: defaultPayTo,
    maxTimeoutSeconds: 300,
  },
]
const querySchema = (properties: Record<string, unknown>) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    input: {
      type: 'object',
      properties: {
        type: { type: 'string', const: 'http' },
        method: { type: 'string', enum: ['GET'] },
        queryParams: { type: 'object', properties },
        pathParams: { type: 'object' },
      },
      required: ['type', 'method'],
      additionalProperties: false,
    },
  },
  required: ['input'],
})

/** A seller whose 402s are written by hand, each with one problem; listed in its /.well-known/x402. */
function fixture() {
  const bazaars: Record<string, unknown> = {
    // info without the schema it must satisfy
    '/no-schema': { info: { input: { type: 'http', method: 'GET', queryParams: { city: 'Oslo' } } } },
    // the template names another path than the resource's
    '/items/:id': {
      info: { input: { type: 'http', method: 'GET', pathParams: { id: '42' } } },
      schema: querySchema({}),
      routeTemplate: '/products/:id',
    },
    // the example breaks its own schema: days must be an integer
    '/forecast': {
      info: { input: { type: 'http', method: 'GET', queryParams: { days: 'abc' } } },
      schema: querySchema({ days: { type: 'integer' } }),
    },
  }
  const app = new Hono()
  app.get('/.well-known/x402', (c) =>
    c.json({
      x402Version: 2,
      resources: Object.keys(bazaars).map((path) => ({
        resource: `${origin}${path}`,
        method: 'GET',
        ...(path.includes(':') ? { routeTemplate: path } : {}),
        extensions: { bazaar: bazaars[path] },
      })),
    }),
  )
  for (const path of Object.keys(bazaars)) {
    app.get(path, (c) => {
      const quote: PaymentRequiredV2 = {
        x402Version: 2,
        error: 'payment_required',
        resource: { url: c.req.url, description: 'fixture', mimeType: 'application/json' },
        accepts,
        extensions: { bazaar: bazaars[path] },
      }
      return c.json({}, 402, { [headers.paymentRequired]: encodeHeader(quote) })
    })
  }
  return (url: string, init?: RequestInit) => app.request(url, init)
}

describe('doctor', () => {
  test('default: finds the missing schema, the mismatched routeTemplate and the invalid example, with reasons', async () => {
    const findings = await runDoctor(origin, fixture())
    const errors = findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.where}`)
    expect(errors).toEqual([
      `missing_schema GET ${origin}/no-schema`,
      `route_template_mismatch GET ${origin}/items/:id`,
      `invalid_example GET ${origin}/forecast`,
    ])
    expect(findings.find((f) => f.code === 'route_template_mismatch')?.message).toContain(
      'routeTemplate /products/:id does not match the resource path /items/42',
    )
    expect(findings.find((f) => f.code === 'invalid_example')?.message).toMatch(/input\.queryParams\.days/)
    // No OpenAPI document on the fixture: a warning, not a rejection.
    expect(findings.filter((f) => f.severity === 'warning').map((f) => f.code)).toEqual(['no_openapi'])
  })

  test('behavior: a 402 without bazaar, and a resource that is not paid, are reported', async () => {
    const app = new Hono()
    app.get('/plain', (c) =>
      c.json({}, 402, {
        [headers.paymentRequired]: encodeHeader({ x402Version: 2, resource: { url: c.req.url }, accepts }),
      }),
    )
    const fetcher = (url: string, init?: RequestInit) => app.request(url, init)
    const codes = (await runDoctor(`${origin}/plain`, fetcher)).map((f) => f.code)
    expect(codes).toEqual(['no_well_known', 'no_openapi', 'missing_bazaar'])
    expect((await runDoctor(`${origin}/free`, fetcher)).map((f) => f.code)).toContain('not_402')
  })

  test('behavior: nothing on the demo; the command exits 0 there and 1 on the fixture', async () => {
    const demo = createDemoApp({ payTo: defaultPayTo, facilitator: neverPays })
    const fetcher = (url: string, init?: RequestInit) => demo.request(url, init)
    // A route with a JSON body is checked when the operator allows its method: doctor then sends the example body.
    expect(await runDoctor('http://127.0.0.1:4021', { fetch: fetcher, allowMethods: ['POST'] })).toEqual([])
    // By default doctor sends GET and HEAD only, and names what it did not check: a warning, not a rejection.
    const byDefault = await runDoctor('http://127.0.0.1:4021', fetcher)
    expect(byDefault.filter((f) => f.code !== 'method_not_checked')).toEqual([])
    expect(byDefault.every((f) => f.severity === 'warning' && f.where.startsWith('POST '))).toBe(true)

    const lines: string[] = []
    const io = { out: (text: string) => lines.push(text), err: (text: string) => lines.push(text) }
    expect(await runDoctorCommand(['http://127.0.0.1:4021'], { ...io, fetch: fetcher })).toBe(0)
    expect(lines.at(-1)).toContain('ok: a catalogue would list')
    expect(await runDoctorCommand([origin], { ...io, fetch: fixture() })).toBe(1)
    expect(lines.at(-1)).toBe('3 problem(s) a catalogue would reject\n')
    expect(await runDoctorCommand([], io)).toBe(2)
    // A seller with nothing to find is not "ok".
    const empty = new Hono()
    expect(await runDoctorCommand([origin], { ...io, fetch: (url, init) => empty.request(url, init) })).toBe(1)
    expect(lines.some((line) => line.startsWith('ERROR no_resources'))).toBe(true)
  })

  test('behavior: with the RPC URL in the environment, a price that cannot pay for its settlement is named, with the figures', async () => {
    const demo = createDemoApp({ payTo: defaultPayTo, facilitator: neverPays })
    const fetch = (url: string, init?: RequestInit) => demo.request(url, init)
    const run = async (env: Record<string, string>) => {
      const lines: string[] = []
      const io = { out: (text: string) => lines.push(text), err: (text: string) => lines.push(text) }
      const code = await runDoctorCommand(['http://127.0.0.1:4021'], { ...io, fetch, env })
      return { code, lines: lines.filter((line) => line.includes('price_below_settlement_cost')) }
    }
    // At Base's floor (the local chain's default): $0.001 settles only in batches (a warning), $0.01 alone.
    const floor = await startLocalChain()
    try {
      const { code, lines } = await run({ TOLLGATE_RPC_URL_8453: floor.url })
      expect(code).toBe(0)
      // /weather ($0.001) and /forecast's example (per day $0.001): batched only; /history ($0.01) alone.
      const weather = lines.find((line) => line.includes('/weather'))
      expect(weather).toMatch(/^warn {2}price_below_settlement_cost GET http:\/\/127\.0\.0\.1:4021\/weather/)
      expect(weather).toMatch(/pays for its settlement only in batches at current fees.*price needed \d+/)
      expect(lines.some((line) => line.includes('/history'))).toBe(false)
      expect(lines.every((line) => line.startsWith('warn '))).toBe(true)
      // The gas policy off: nothing judged.
      expect((await run({ TOLLGATE_RPC_URL_8453: floor.url, TOLLGATE_MAX_GAS_SHARE: 'off' })).lines).toEqual([])
    } finally {
      await floor.stop()
    }
    // At 10x the floor $0.001 cannot pay even in a full batch: an error.
    const dear = await startLocalChain({ baseFee: 10n * baseFeeFloor })
    try {
      const { code, lines } = await run({ TOLLGATE_RPC_URL_8453: dear.url })
      expect(code).toBe(1)
      expect(
        lines.some((line) =>
          /^ERROR price_below_settlement_cost .*\/weather.*cannot pay for its settlement/.test(line),
        ),
      ).toBe(true)
    } finally {
      await dear.stop()
    }
  }, 60_000)
})
