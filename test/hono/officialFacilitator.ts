/**
 * The official x402 facilitator (`@x402/core` x402Facilitator + `@x402/evm` exact scheme, v2 and v1)
 * behind a small Hono server on loopback, shaped like the reference example
 * (`examples/typescript/facilitator/basic`): 200 with the verdict for valid and invalid payments,
 * 500 `{ error }` for exceptions. It stood in for Tollgate's facilitator before that existed, and
 * stays as an interop check: our middleware must work with any x402 facilitator.
 *
 * @see x402-protocol reference §6.4, chain.md §5.4
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { x402Facilitator } from '@x402/core/facilitator'
import { toFacilitatorEvmSigner } from '@x402/evm'
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator'
import { Hono } from 'hono'
import { publicActions } from 'viem'
import type { LocalChain } from '../chain/localChain.ts'

/** A running stand-in facilitator. */
export type OfficialFacilitator = {
  url: string
  /** What it was asked, in order (`verify` / `settle` / `supported`). */
  calls: string[]
  stop(): Promise<void>
}

/**
 * Starts the official facilitator for `chain`, settling from dev account #0, on 127.0.0.1 and a free port.
 *
 * @example
 * const facilitator = await startOfficialFacilitator(chain)
 * // ... httpFacilitator({ url: facilitator.url })
 * await facilitator.stop()
 */
export async function startOfficialFacilitator(chain: LocalChain): Promise<OfficialFacilitator> {
  const account = chain.accounts.facilitator
  const client = chain.walletClient(account).extend(publicActions)
  const signer = toFacilitatorEvmSigner({
    address: account.address,
    readContract: (args) => client.readContract(args as Parameters<typeof client.readContract>[0]),
    verifyTypedData: (args) => client.verifyTypedData(args as Parameters<typeof client.verifyTypedData>[0]),
    writeContract: (args) =>
      client.writeContract({ ...(args as Parameters<typeof client.writeContract>[0]), account, chain: chain.chain }),
    sendTransaction: (args) => client.sendTransaction({ ...args, account, chain: chain.chain }),
    waitForTransactionReceipt: (args) => client.waitForTransactionReceipt(args),
    getCode: (args) => client.getCode(args),
  })
  const facilitator = new x402Facilitator()
  registerExactEvmScheme(facilitator, { signer, networks: chain.network })

  const calls: string[] = []
  const app = new Hono()
  for (const endpoint of ['verify', 'settle'] as const) {
    app.post(`/${endpoint}`, async (c) => {
      calls.push(endpoint)
      try {
        const { paymentPayload, paymentRequirements } = await c.req.json()
        const result =
          endpoint === 'verify'
            ? await facilitator.verify(paymentPayload, paymentRequirements)
            : await facilitator.settle(paymentPayload, paymentRequirements)
        return c.json(result)
      } catch (error) {
        return c.json({ error: error instanceof Error ? error.message : String(error) }, 500)
      }
    })
  }
  app.get('/supported', (c) => {
    calls.push('supported')
    return c.json(facilitator.getSupported())
  })

  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
