import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { describe, expect, test } from 'vitest'
import { fakeFacilitator, payTo, usdc } from '../test/demoApp.ts'
import { type PaymentRequiredOptions, paymentRequired } from './paymentRequired.ts'

describe('configuration', () => {
  const facilitator = fakeFacilitator().facilitator
  const build =
    (routes: unknown, extra: Record<string, unknown> = {}) =>
    () =>
      paymentRequired({ facilitator, routes, ...extra } as PaymentRequiredOptions)

  test('behavior: bad configuration throws at construction, naming the route and field', () => {
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '0.01', payTo } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.price: An atomic amount must be a non-negative decimal integer string such as "10000". (for a price in dollars write "$0.001")
      Received: "0.01"]
    `)
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '$0.0000001', payTo } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.price: A price has at most 6 decimals for this asset.
      Received: "$0.0000001"]
    `)
    expect(
      build({ 'GET /a': { accepts: [{ network: 'base', price: 0.01, payTo }] } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts[0].price: must be "$0.001", an atomic amount as a bigint or an integer string
      Received: 0.01]
    `)
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$0', payTo } } })).toThrow(
      'routes["GET /a"].accepts.price: must be greater than zero',
    )
    expect(
      build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo: '0x123' } } }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].accepts.payTo: must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum if mixed-case
      Received: "0x123"]
    `)
    expect(
      build({
        'GET /a': { accepts: { network: 'base', price: '$1', payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79c8' } },
      }),
    ).toThrow('routes["GET /a"].accepts.payTo: must be a 0x-prefixed 20-byte hex address with a valid EIP-55 checksum')
    expect(build({ 'GET /a': { accepts: { network: 'solana', price: '$1', payTo } } })).toThrow(
      'routes["GET /a"].accepts.network: must be a CAIP-2 id',
    )
    expect(build({ 'GET /a': { accepts: { network: 'eip155:1', price: '$1', payTo } } })).toThrow(
      'routes["GET /a"].accepts.asset: no default asset for eip155:1',
    )
    expect(build({ 'GET /a': { accepts: [] } })).toThrow('routes["GET /a"].accepts: needs at least one offer')
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo }, settle: 'later' } })).toThrow(
      'routes["GET /a"].settle: must be "after" or "before"',
    )
    expect(build({ 'GET /a': { accepts: { network: 'base', price: '$1', payTo, maxTimeoutSeconds: 0 } } })).toThrow(
      'routes["GET /a"].accepts.maxTimeoutSeconds: must be a positive integer',
    )
    expect(build({ 'get weather': { accepts: { network: 'base', price: '$1', payTo } } })).toThrow(
      'routes["get weather"]: the key must be "METHOD /path" or "/path"',
    )
    expect(build({})).toThrow('paymentRequired: routes: needs at least one route')
    expect(() => paymentRequired({ routes: {}, facilitator: {} } as unknown as PaymentRequiredOptions)).toThrow(
      'paymentRequired: facilitator must have verify() and settle()',
    )
  })

  test('behavior: a custom asset and atomic prices as bigint or integer string', async () => {
    const app = new Hono()
    app.use(
      paymentRequired({
        facilitator,
        routes: {
          '/token': {
            accepts: [
              {
                network: 'eip155:8453',
                price: 5n,
                payTo,
                asset: {
                  address: '0x4200000000000000000000000000000000000006',
                  decimals: 18,
                  name: 'Wrapped Ether',
                  version: '1',
                },
              },
              { network: 'eip155:8453', price: '7', payTo },
            ],
          },
        },
      }),
    )
    const required = decodeHeader(
      paymentRequiredV2Schema,
      (await app.request('/token', { method: 'PUT' })).headers.get('payment-required'),
    )
    expect(required.accepts.map((offer) => [offer.amount, offer.asset, offer.extra])).toEqual([
      ['5', '0x4200000000000000000000000000000000000006', { name: 'Wrapped Ether', version: '1' }],
      ['7', usdc, { name: 'USD Coin', version: '2' }],
    ])
  })
})
