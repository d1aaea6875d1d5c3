/**
 * The paid APIs the latency bench pays: each a seller (a Hono app with a paid `GET /weather` at
 * $0.001, settled after the handler) and its facilitator, on 127.0.0.1 and free ports, against the
 * local chain.
 *
 * - Tollgate: `@tollgate/hono` `paymentRequired` with `httpFacilitator`, and Tollgate's facilitator
 *   service (`startFacilitator`, SQLite ledger, an API key, settling from dev account #0) at its
 *   defaults (EIP-7966 sends where the RPC serves them, else receipt polling every 250 ms) but for
 *   {@link latencyEnv} and what the caller adds; or the same from another checkout's code, in a child
 *   process (`startCheckoutStack`, checkoutStack.ts).
 * - Official: `@x402/hono` `paymentMiddleware` with `x402ResourceServer`, and the official
 *   facilitator (`@x402/core` `x402Facilitator` + `@x402/evm` exact scheme, viem wallet client)
 *   behind a Hono `/verify`, `/settle`, `/supported` shaped like the official example server.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve } from '@hono/node-server'
import { httpFacilitator, paymentRequired, type RouteOptions } from '@tollgate/hono'
import { HTTPFacilitatorClient, x402ResourceServer } from '@x402/core/server'
import { ExactEvmScheme } from '@x402/evm/exact/server'
import { paymentMiddleware } from '@x402/hono'
import { Hono } from 'hono'
import { type Address, type LocalAccount, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { LocalChain } from '../../test/chain/localChain.ts'
import { createOfficialFacilitator } from '../../test/facilitator/officialFacilitator.ts'
import { startTestFacilitator, tollgateTestEnv } from '../../test/hono/facilitators.ts'
import { startInCheckout } from '../shared/checkoutProcess.ts'
import type { CheckoutStackInput } from './checkoutStack.ts'

/** A running seller and its facilitator. */
export type Stack = {
  /** The paid route. */
  url: string
  stop(): Promise<void>
}

/** How a Tollgate route delivers: after the settlement is seen (`settled`), or before (`optimistic`). */
export type RouteMode = 'settled' | 'optimistic'

const price = '$0.001' as const
/** What `price` is in USDC atomic units. */
export const priceAtomic = 1_000n
const weather = { city: 'Lisbon', tempC: 21, condition: 'sunny', humidity: 60, windKph: 12 }

/**
 * Whether `@tollgate/hono` knows the route option `delivery`. Like every option it knows, it would
 * refuse an unknown value at construction; one it does not know at all is ignored.
 */
export function supportsDelivery(): boolean {
  const facilitator = httpFacilitator({ url: 'http://127.0.0.1:9' })
  const accepts = { network: 'eip155:8453', price, payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }
  paymentRequired({ facilitator, routes: { 'GET /weather': { accepts } } }) // valid as it is: throws only if not
  try {
    const probe = { accepts, delivery: 'no-such-mode' } as unknown as RouteOptions
    paymentRequired({ facilitator, routes: { 'GET /weather': probe } })
    return false
  } catch {
    return true
  }
}

/**
 * What every Tollgate stack here sets: the gas policy off. The bench's chain runs at anvil's own fees
 * (1 gwei), where no $0.001 payment pays for its transaction (the policy would refuse it, or hold it
 * for a batch): these figures are about time, the economics are bench/economics'.
 */
export const latencyEnv = { TOLLGATE_MAX_GAS_SHARE: 'off' } as const

/** Tollgate's seller and facilitator; `env` adds to (or overrides) the facilitator's configuration. */
export async function startTollgateStack(
  chain: LocalChain,
  { payTo, mode, env }: { payTo: Address; mode: RouteMode; env: Record<string, string> },
): Promise<Stack> {
  const facilitator = await startTestFacilitator(chain, 'tollgate', { ...latencyEnv, ...env })
  try {
    // `delivery` is passed only when asked for (the option may not exist yet: see supportsDelivery).
    const route = {
      accepts: { network: chain.network, price, payTo },
      description: 'Current weather',
      ...(mode === 'optimistic' ? { delivery: mode } : {}),
    } as RouteOptions
    const app = new Hono()
    app.use(
      paymentRequired({
        facilitator: httpFacilitator({
          url: facilitator.url,
          ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
        }),
        routes: { 'GET /weather': route },
      }),
    )
    app.get('/weather', (c) => c.json(weather))
    const seller = await listen(app)
    return {
      url: `${seller.url}/weather`,
      stop: async () => {
        await seller.close()
        await facilitator.stop()
      },
    }
  } catch (error) {
    await facilitator.stop()
    throw error
  }
}

/**
 * The Tollgate stack of {@link startTollgateStack} (a settled route) from checkout `dir`'s own code, in
 * a child process (checkoutStack.ts): its facilitator configured as `startTollgateStack`'s, `env`
 * added, but settling from a fresh funded key of its own (its nonces are its own, as the chain is shared).
 */
export async function startCheckoutStack(
  chain: LocalChain,
  { dir, payTo, env, log }: { dir: string; payTo: Address; env: Record<string, string>; log(line: string): void },
): Promise<Stack> {
  const key = generatePrivateKey()
  await chain.testClient.setBalance({ address: privateKeyToAccount(key).address, value: parseEther('100') })
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-checkout-'))
  const input: CheckoutStackInput = {
    env: { ...tollgateTestEnv(chain, dataDir), ...latencyEnv, ...env, TOLLGATE_SIGNER_KEY: key },
    network: chain.network,
    payTo,
    price,
    body: weather,
  }
  const child = startInCheckout({ dir, script: 'bench/latency/checkoutStack.ts', input })
  const stop = async () => {
    try {
      await child.stop()
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }
  try {
    const { url, code } = await child.next<{ url: string; code: string }>()
    log(`${dir}: @tollgate/hono from ${fileURLToPath(code)}`)
    return { url, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

/** The official seller and facilitator; the facilitator signs with `account` and polls receipts every `pollingInterval` ms. */
export async function startOfficialStack(
  chain: LocalChain,
  { payTo, account, pollingInterval }: { payTo: Address; account: LocalAccount; pollingInterval: number },
): Promise<Stack> {
  const official = createOfficialFacilitator({ url: chain.url, chain: chain.chain, account, pollingInterval })
  const facilitatorApp = new Hono()
  for (const endpoint of ['verify', 'settle'] as const) {
    facilitatorApp.post(`/${endpoint}`, async (c) => {
      try {
        const { paymentPayload, paymentRequirements } = await c.req.json()
        return c.json(
          endpoint === 'verify'
            ? await official.verify(paymentPayload, paymentRequirements)
            : await official.settle(paymentPayload, paymentRequirements),
        )
      } catch (error) {
        return c.json({ error: error instanceof Error ? error.message : 'Unknown error' }, 500)
      }
    })
  }
  facilitatorApp.get('/supported', (c) => c.json(official.getSupported()))
  const facilitator = await listen(facilitatorApp)

  const resourceServer = new x402ResourceServer(new HTTPFacilitatorClient({ url: facilitator.url })).register(
    chain.network,
    new ExactEvmScheme(),
  )
  const app = new Hono()
  app.use(
    paymentMiddleware(
      {
        'GET /weather': {
          accepts: { scheme: 'exact', price, network: chain.network, payTo },
          description: 'Current weather',
        },
      },
      resourceServer,
    ),
  )
  app.get('/weather', (c) => c.json(weather))
  const seller = await listen(app)
  return {
    url: `${seller.url}/weather`,
    stop: async () => {
      await seller.close()
      await facilitator.close()
    },
  }
}

async function listen(app: Hono): Promise<{ url: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
