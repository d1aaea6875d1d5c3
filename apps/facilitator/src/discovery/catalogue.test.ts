import { describe, expect, test } from 'vitest'
import { bazaarProblem, catalogueEntry, createMemoryCatalogue, parseCatalogueQuery } from './catalogue.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const requirements = { scheme: 'exact', network: 'eip155:8453', amount: '1000', asset: '0x1', payTo }
const bazaar = {
  info: { input: { type: 'http', method: 'GET', pathParams: { city: 'oslo' } } },
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      input: {
        type: 'object',
        properties: {
          type: { type: 'string', const: 'http' },
          method: { type: 'string', enum: ['GET'] },
          pathParams: { type: 'object' },
        },
        required: ['type', 'method'],
        additionalProperties: false,
      },
    },
    required: ['input'],
  },
  routeTemplate: '/weather/:city',
}
/** A /settle body as a Tollgate resource server sends it: the buyer's payload, its requirements, its declaration. */
const body = (extension: unknown, url = 'https://api.example.com/weather/oslo?units=c') => ({
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    resource: { url: 'https://buyer.example/lies', description: 'buyer text' },
    extensions: { bazaar: { info: { input: { type: 'http', method: 'DELETE' } }, schema: {} } },
  },
  paymentRequirements: requirements,
  tollgate: {
    claim: 'claim-0123456789abcdef',
    resource: url,
    discovery: { description: 'Weather', bazaar: extension },
  },
})
const caller = { keyId: 'seller' }

describe('catalogueEntry', () => {
  test('default: the canonical URL is the origin and the route template, from the seller alone', () => {
    const entry = catalogueEntry(body(bazaar), caller, 1_700_000_000n, new Set())
    expect(entry).toMatchObject({
      key: 'GET https://api.example.com/weather/:city',
      origin: 'https://api.example.com',
      payTo,
      item: {
        resource: 'https://api.example.com/weather/:city',
        accepts: [requirements],
        description: 'Weather',
        extensions: { bazaar },
      },
    })
    expect(entry?.item.lastUpdated).toBe('2023-11-14T22:13:20.000Z')
  })

  test('behavior: a bad or foreign template falls back to the path; bad shapes, v1, opted-out payees are not listed', () => {
    const poisoned = { ...bazaar, routeTemplate: '/x/../admin' }
    const at = (extension: unknown) => catalogueEntry(body(extension), caller, 1n, new Set())?.item.resource
    expect(at(poisoned)).toBe('https://api.example.com/weather/oslo')
    expect(at({ ...bazaar, routeTemplate: '/admin/:id' })).toBe('https://api.example.com/weather/oslo')
    expect(at({ info: bazaar.info })).toBeUndefined()
    expect(at({ ...bazaar, info: { input: { type: 'http', method: 'TRACE' } } })).toBeUndefined()
    const external = { ...bazaar, schema: { ...bazaar.schema, $ref: 'https://evil.example/schema' } }
    expect(bazaarProblem(external)).toMatch(/external/)
    expect(at(external)).toBeUndefined()
    expect(
      catalogueEntry({ ...body(bazaar), paymentPayload: { x402Version: 1 } }, caller, 1n, new Set()),
    ).toBeUndefined()
    expect(catalogueEntry(body(bazaar), caller, 1n, new Set([payTo.toLowerCase()]))).toBeUndefined()
    expect(catalogueEntry(body(bazaar, 'mcp://tool/x'), caller, 1n, new Set())).toBeUndefined()
  })

  test('security: nothing the buyer sent is catalogued; no declaration or no caller, no entry (issue 21, items 1-2)', () => {
    const { tollgate: _, ...plain } = body(bazaar)
    expect(catalogueEntry(plain, caller, 1n, new Set())).toBeUndefined()
    expect(catalogueEntry(body(bazaar), undefined, 1n, new Set())).toBeUndefined()
    const entry = catalogueEntry(body(bazaar), caller, 1n, new Set())
    expect(JSON.stringify(entry?.item)).not.toMatch(/buyer|lies|DELETE/)
  })

  test('security: a catastrophic pattern in a declared schema is stored as data, never run (issue 21, item 1)', () => {
    const evil = {
      info: { input: { type: 'http', method: 'GET', queryParams: { q: `${'a'.repeat(40)}!` } } },
      schema: { type: 'object', properties: { input: { type: 'object', properties: { q: { pattern: '^(a+)+$' } } } } },
    }
    const started = performance.now()
    expect(catalogueEntry(body(evil), caller, 1n, new Set())?.item.extensions).toEqual({ bazaar: evil })
    expect(performance.now() - started).toBeLessThan(50)
  })
})

test('behavior: the memory catalogue replaces by key within its payee, filters and pages, newest first', async () => {
  const catalogue = createMemoryCatalogue()
  const entry = catalogueEntry(body(bazaar), caller, 1n, new Set())
  if (!entry) throw new Error('expected an entry')
  expect(await catalogue.record(entry)).toBe(true)
  expect(await catalogue.record({ ...entry, updatedAt: 2n })).toBe(true)
  expect(await catalogue.record({ ...entry, key: 'GET other', updatedAt: 3n, type: 'mcp' })).toBe(true)
  // Another payee owns nothing on this origin: not the entry, not a new one beside it.
  const other = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
  expect(await catalogue.record({ ...entry, payTo: other, updatedAt: 4n })).toBe(false)
  expect(await catalogue.record({ ...entry, key: 'GET new', payTo: other, updatedAt: 4n })).toBe(false)
  expect((await catalogue.list({ limit: 10, offset: 0 })).total).toBe(2)
  expect((await catalogue.list({ type: 'http', limit: 10, offset: 0 })).total).toBe(1)
  expect(
    (await catalogue.list({ payTo: payTo.toUpperCase().replace('0X', '0x'), limit: 1, offset: 1 })).items,
  ).toHaveLength(1)
  expect(parseCatalogueQuery(new URLSearchParams('limit=5&offset=2&type=http'))).toEqual({
    limit: 5,
    offset: 2,
    type: 'http',
  })
  expect(parseCatalogueQuery(new URLSearchParams('limit=5000'))).toMatch(/limit must be/)
  expect(parseCatalogueQuery(new URLSearchParams('offset=-1'))).toMatch(/offset must be/)
})
