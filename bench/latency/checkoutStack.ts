/**
 * `tollgate-NAME` of bench/latency `--against NAME=DIR`: the `tollgate` stack of stacks.ts, run from
 * checkout DIR's own code in a child process (bench/shared/checkoutProcess.ts, which starts this file
 * with DIR as its working directory): DIR's facilitator service (`startFacilitator`, the configuration
 * the parent sends, a SQLite ledger, an API key) and a Hono seller with DIR's `@tollgate/hono`
 * `paymentRequired` + `httpFacilitator` and the paid `GET /weather` the parent describes (a settled
 * route). Replies `{ url, code }` (the paid route; where `@tollgate/hono` was loaded from) once
 * serving; stops both when the parent closes stdin.
 */
import type { AddressInfo } from 'node:net'
import { checkoutImport, checkoutResolve, onStop, readInput, reply } from '../shared/checkoutChild.ts'

/** What the parent sends. */
export type CheckoutStackInput = {
  /** The facilitator's whole configuration (`startFacilitator`'s env). */
  env: Record<string, string>
  network: `eip155:${number}`
  payTo: `0x${string}`
  price: `$${string}`
  /** The body `GET /weather` answers. */
  body: unknown
}

// The checkout's modules, typed as this checkout's: the parts used here are the same in both.
const [{ startFacilitator }, { createApiKey, createMemoryApiKeyStore }, tollgateHono, { Hono }, { serve }] =
  await Promise.all([
    checkoutImport<typeof import('../../apps/facilitator/src/startFacilitator.ts')>(
      './apps/facilitator/src/startFacilitator.ts',
    ),
    checkoutImport<typeof import('../../apps/facilitator/src/http/apiKeys.ts')>(
      './apps/facilitator/src/http/apiKeys.ts',
    ),
    checkoutImport<typeof import('@tollgate/hono')>('@tollgate/hono'),
    checkoutImport<typeof import('hono')>('hono'),
    checkoutImport<typeof import('@hono/node-server')>('@hono/node-server'),
  ])

const input = await readInput<CheckoutStackInput>()
const apiKeys = createMemoryApiKeyStore()
const { key: apiKey, record } = await createApiKey({
  scopes: ['verify', 'settle', 'release'],
  payTo: '*',
  label: 'bench',
  now: BigInt(Math.floor(Date.now() / 1000)),
})
await apiKeys.insert(record)
const facilitator = await startFacilitator(input.env, { logError: () => {}, apiKeys })

const app = new Hono()
app.use(
  tollgateHono.paymentRequired({
    facilitator: tollgateHono.httpFacilitator({ url: facilitator.url, apiKey }),
    routes: {
      'GET /weather': {
        accepts: { network: input.network, price: input.price, payTo: input.payTo },
        description: 'Current weather',
      },
    },
  }),
)
app.get('/weather', (c) => c.json(input.body as object))
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
})
onStop(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
  await facilitator.stop()
})
reply({
  url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/weather`,
  code: checkoutResolve('@tollgate/hono'),
})
