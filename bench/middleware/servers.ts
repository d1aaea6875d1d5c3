/**
 * The servers under test, in one child process of run.ts (so the load generator gets the other
 * core): a stub facilitator (only `/supported` is ever called, by @x402/hono at startup), our app
 * (GET /weather guarded by @tollgate/hono, GET /health unprotected), and the same route guarded by
 * the official @x402/hono 2.27.0. All on 127.0.0.1, free ports. Prints one JSON line with the URLs,
 * then serves until SIGTERM/SIGINT.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { HTTPFacilitatorClient } from '@x402/core/server'
import { ExactEvmScheme } from '@x402/evm/exact/server'
import { paymentMiddleware, x402ResourceServer } from '@x402/hono'
import { Hono } from 'hono'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const weather = { city: 'Lisbon', tempC: 21, condition: 'sunny' }

async function listen(app: Hono): Promise<{ url: string; close(): void }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() }
}

const stub = new Hono()
stub.get('/supported', (c) =>
  c.json({ kinds: [{ x402Version: 2, scheme: 'exact', network: 'eip155:8453' }], extensions: [], signers: {} }),
)
stub.post('*', (c) => c.json({ error: 'the benchmark never pays' }, 500))
const facilitator = await listen(stub)

const ours = new Hono()
ours.use(
  paymentRequired({
    facilitator: httpFacilitator({ url: facilitator.url }),
    routes: {
      'GET /weather': { accepts: { network: 'eip155:8453', price: '$0.001', payTo }, description: 'Current weather' },
    },
  }),
)
ours.get('/weather', (c) => c.json(weather))
ours.get('/health', (c) => c.json(weather))
const oursServer = await listen(ours)

const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url })).register(
  'eip155:8453',
  new ExactEvmScheme(),
)
const official = new Hono()
official.use(
  paymentMiddleware(
    {
      'GET /weather': {
        accepts: { scheme: 'exact', price: '$0.001', network: 'eip155:8453', payTo },
        description: 'Current weather',
      },
    },
    resourceServer,
  ),
)
official.get('/weather', (c) => c.json(weather))
const officialServer = await listen(official)

console.log(JSON.stringify({ ours: oursServer.url, official: officialServer.url, facilitator: facilitator.url }))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const server of [oursServer, officialServer, facilitator]) server.close()
    process.exit(0)
  })
}
