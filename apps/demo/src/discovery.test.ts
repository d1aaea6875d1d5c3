import { Validator } from '@seriousme/openapi-schema-validator'
import type { FacilitatorClient } from '@tollgate/hono'
import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import {
  type DiscoveryExtension,
  validateDiscoveryExtension,
  validateDiscoveryExtensionSpec,
} from '@x402/extensions/bazaar'
import { describe, expect, test } from 'vitest'
import { createDemoApp } from './app.ts'
import { defaultPayTo } from './config.ts'

const facilitator: FacilitatorClient = {
  verify: async () => {
    throw new Error('no payment in this file')
  },
  settle: async () => {
    throw new Error('no payment in this file')
  },
}
const app = createDemoApp({ payTo: defaultPayTo, facilitator })
const origin = 'http://127.0.0.1:4021'

async function bazaarOf(path: string, init?: RequestInit) {
  const res = await app.request(`${origin}${path}`, init)
  expect(res.status).toBe(402)
  const quote = decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required'))
  return quote.extensions?.bazaar as DiscoveryExtension
}

describe('demo discovery', () => {
  test('default: every paid route carries a bazaar extension the official validation accepts', async () => {
    const compare = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"cities":["Oslo"]}' }
    for (const [path, init] of [
      ['/weather?city=Oslo'],
      ['/forecast?days=2'],
      ['/history'],
      ['/compare', compare],
    ] as const) {
      const bazaar = await bazaarOf(path, init)
      expect(validateDiscoveryExtensionSpec(bazaar as unknown as Record<string, unknown>)).toEqual({ valid: true })
      expect(validateDiscoveryExtension(bazaar), path).toEqual({ valid: true })
    }
    expect((await bazaarOf('/compare', compare)).info.input).toEqual({
      type: 'http',
      method: 'POST',
      bodyType: 'json',
      body: { cities: ['Lisbon', 'Oslo'] },
    })
    expect((await bazaarOf('/weather')).info).toEqual({
      input: { type: 'http', method: 'GET', queryParams: { city: 'Lisbon' } },
      output: { type: 'json', example: { city: 'Lisbon', tempC: 21, condition: 'sunny', humidity: 60, windKph: 12 } },
    })
  })

  test('behavior: /openapi.json is OpenAPI 3.1 that a standard validator accepts, with x-payment-info', async () => {
    const res = await app.request(`${origin}/openapi.json`)
    expect(res.status).toBe(200)
    const document = await res.json()
    // The validator can fail: a document without info and paths is refused.
    expect((await new Validator().validate({ openapi: '3.1.0' })).valid).toBe(false)
    const result = await new Validator().validate(document)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(document.openapi).toBe('3.1.0')
    expect(Object.keys(document.paths)).toEqual(['/weather', '/forecast', '/history', '/compare'])
    const forecast = document.paths['/forecast'].get
    expect(forecast['x-payment-info'].offers[0]).toMatchObject({
      scheme: 'exact',
      network: 'eip155:8453',
      asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      price: { min: '1000', max: '7000' },
    })
    expect(document.paths['/weather'].get['x-payment-info'].offers[0].price).toBe('1000')
    expect(forecast.parameters.map((p: { name: string }) => p.name)).toEqual(['city', 'days'])
    const compare = document.paths['/compare'].post
    expect(compare['x-payment-info'].offers[0].price).toBe('2000')
    expect(compare.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { cities: { type: 'array', minItems: 1, maxItems: 6 } },
      required: ['cities'],
    })
  })

  test('behavior: /.well-known/x402 lists the four paid resources with offers and schemas', async () => {
    const document = await (await app.request(`${origin}/.well-known/x402`)).json()
    expect(document.resources.map((r: { resource: string; method: string }) => `${r.method} ${r.resource}`)).toEqual([
      `GET ${origin}/weather`,
      `GET ${origin}/forecast`,
      `GET ${origin}/history`,
      `POST ${origin}/compare`,
    ])
    for (const resource of document.resources) {
      expect(validateDiscoveryExtension(resource.extensions.bazaar)).toEqual({ valid: true })
    }
    expect(document.resources[2].accepts[0].price).toBe('10000')
  })
})
