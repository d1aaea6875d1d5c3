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
const body = (extension: unknown, url = 'https://api.example.com/weather/oslo?units=c') => ({
  x402Version: 2,
  paymentPayload: { x402Version: 2, resource: { url, description: 'Weather' }, extensions: { bazaar: extension } },
  paymentRequirements: requirements,
})

describe('catalogueEntry', () => {
  test('default: the canonical URL is the origin and the route template', () => {
    const entry = catalogueEntry(body(bazaar), 1_700_000_000n, new Set())
    expect(entry).toMatchObject({
      key: 'GET https://api.example.com/weather/:city',
      payTo,
      item: { resource: 'https://api.example.com/weather/:city', accepts: [requirements], description: 'Weather' },
    })
    expect(entry?.item.lastUpdated).toBe('2023-11-14T22:13:20.000Z')
  })

  test('behavior: an invalid template falls back to the path; bad info, v1 and opted-out payees are not listed', () => {
    const poisoned = { ...bazaar, routeTemplate: '/x/../admin' }
    expect(catalogueEntry(body(poisoned), 1n, new Set())?.item.resource).toBe('https://api.example.com/weather/oslo')
    const wrong = { ...bazaar, info: { input: { type: 'http', method: 'POST' } } }
    expect(bazaarProblem(wrong)).toMatch(/info does not satisfy the schema: input.method/)
    expect(catalogueEntry(body(wrong), 1n, new Set())).toBeUndefined()
    expect(catalogueEntry(body({ info: bazaar.info }), 1n, new Set())).toBeUndefined()
    const external = { ...bazaar, schema: { ...bazaar.schema, $ref: 'https://evil.example/schema' } }
    expect(bazaarProblem(external)).toMatch(/external/)
    expect(catalogueEntry({ ...body(bazaar), x402Version: 1 }, 1n, new Set())).toBeUndefined()
    expect(catalogueEntry(body(bazaar), 1n, new Set([payTo.toLowerCase()]))).toBeUndefined()
    expect(catalogueEntry(body(bazaar, 'not a url'), 1n, new Set())).toBeUndefined()
  })
})

test('behavior: the memory catalogue replaces by key, filters and pages, newest first', async () => {
  const catalogue = createMemoryCatalogue()
  const entry = catalogueEntry(body(bazaar), 1n, new Set())
  if (!entry) throw new Error('expected an entry')
  await catalogue.record(entry)
  await catalogue.record({ ...entry, updatedAt: 2n })
  await catalogue.record({ ...entry, key: 'GET other', updatedAt: 3n, type: 'mcp' })
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
