/**
 * The facilitator's discovery catalogue, end to end: a real anvil, Tollgate's facilitator (SQLite
 * ledger and catalogue), the demo on Node, the official v2 client paying it, and the official
 * bazaar client (`@x402/extensions`) reading `GET /discovery/resources` of our facilitator.
 */

import { x402Client } from '@x402/core/client'
import { HTTPFacilitatorClient } from '@x402/core/http'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { validateDiscoveryExtension, withBazaar } from '@x402/extensions/bazaar'
import { wrapFetchWithPayment } from '@x402/fetch'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from '../hono/facilitators.ts'

describe('discovery catalogue through the tollgate facilitator', () => {
  let chain: LocalChain
  let facilitator: TestFacilitator
  let demo: RunningDemo

  beforeAll(async () => {
    chain = await startLocalChain()
    facilitator = await startTestFacilitator(chain, 'tollgate')
    demo = await startDemo(
      parseDemoConfig({
        TOLLGATE_DEMO_PORT: '0',
        TOLLGATE_FACILITATOR_URL: facilitator.url,
        ...(facilitator.apiKey ? { TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey } : {}),
        TOLLGATE_PAY_TO: chain.accounts.seller.address,
      }),
    )
  })

  afterAll(async () => {
    try {
      await demo?.stop()
    } finally {
      try {
        await facilitator?.stop()
      } finally {
        await chain?.stop()
      }
    }
  })

  test('default: the official bazaar client lists the demo /weather after one paid request', async () => {
    const bazaar = withBazaar(new HTTPFacilitatorClient({ url: facilitator.url })).extensions.bazaar
    expect((await bazaar.listResources({ type: 'http' })).items).toEqual([])

    const payer = chain.accounts.payers[0]
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
    const paid = await pay(`${demo.url}/weather?city=Oslo`)
    expect(paid.status).toBe(200)

    const listed = await bazaar.listResources({ type: 'http' })
    expect(listed.pagination).toEqual({ limit: 100, offset: 0, total: 1 })
    const [item] = listed.items
    expect(item).toMatchObject({
      resource: `${demo.url}/weather`,
      type: 'http',
      x402Version: 2,
      description: 'Current weather for a city',
      accepts: [{ scheme: 'exact', network: 'eip155:8453', amount: '1000', payTo: chain.accounts.seller.address }],
    })
    const extension = item?.extensions?.bazaar as Parameters<typeof validateDiscoveryExtension>[0]
    expect(validateDiscoveryExtension(extension)).toEqual({ valid: true })
    expect(extension.info.input).toEqual({ type: 'http', method: 'GET', queryParams: { city: 'Lisbon' } })
  })

  test('behavior: paged and filtered by type; a second resource is listed beside the first', async () => {
    const payer = chain.accounts.payers[1]
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
    expect((await pay(`${demo.url}/forecast?days=2`)).status).toBe(200)
    const bazaar = withBazaar(new HTTPFacilitatorClient({ url: facilitator.url })).extensions.bazaar
    const all = await bazaar.listResources({ type: 'http' })
    expect(all.items.map((i) => i.resource).sort()).toEqual([`${demo.url}/forecast`, `${demo.url}/weather`])
    const second = await bazaar.listResources({ type: 'http', limit: 1, offset: 1 })
    expect(second.items).toHaveLength(1)
    expect(second.pagination).toEqual({ limit: 1, offset: 1, total: 2 })
    expect((await bazaar.listResources({ type: 'mcp' })).pagination.total).toBe(0)
    expect((await bazaar.listResources({ payTo: chain.accounts.seller.address.toLowerCase() })).pagination.total).toBe(
      2,
    )
    const bad = await fetch(`${facilitator.url}/discovery/resources?limit=abc`)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: 'invalid_request' })
  })
})
