/**
 * A facilitator whose RPC goes through the sync proxy ({@link startSyncProxy}) in front of a local
 * chain, with its own funded signer, and `/settle` through the service's HTTP app. Test-only.
 */
import {
  type CreateFacilitatorOptions,
  createFacilitator,
  createMemoryStore,
  type Facilitator,
} from '@tollgate/facilitator'
import type { ExactEvmPayload } from '@tollgate/protocol'
import { createPublicClient, http, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { createApp } from '../../apps/facilitator/src/http/app.ts'
import type { LocalChain } from '../chain/localChain.ts'
import { sellerRequirements } from '../ledger/settleBody.ts'
import { type SyncBehaviour, type SyncProxy, startSyncProxy } from './syncProxy.ts'

export type SyncRun = {
  proxy: SyncProxy
  facilitator: Facilitator
  /** `/settle` of one payment of 10_000 to the seller. */
  settle(payload: ExactEvmPayload): Promise<Record<string, unknown>>
  stop(): Promise<void>
}

export async function startSyncRun(
  chain: LocalChain,
  { sync, options }: { sync: SyncBehaviour; options: CreateFacilitatorOptions },
): Promise<SyncRun> {
  // A signer of its own per run: each probes its own client.
  const account = privateKeyToAccount(generatePrivateKey())
  await chain.testClient.setBalance({ address: account.address, value: parseEther('1') })
  const proxy = await startSyncProxy({ target: chain.url, sync })
  const client = createPublicClient({
    chain: chain.chain,
    transport: http(proxy.url),
    pollingInterval: 50,
    cacheTime: 0,
  })
  const facilitator = createFacilitator(
    { store: createMemoryStore(), networks: [{ network: chain.network, client, account }] },
    { recover: createNativeRecover(), ...options },
  )
  const app = createApp(facilitator)
  const requirements = sellerRequirements(chain)
  return {
    proxy,
    facilitator,
    async settle(payload) {
      const body = {
        x402Version: 2,
        paymentPayload: { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepted: requirements, payload },
        paymentRequirements: requirements,
      }
      const response = await app.request('/settle', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return (await response.json()) as Record<string, unknown>
    },
    async stop() {
      await facilitator.close()
      await proxy.stop()
    },
  }
}

/** A payment of 10_000 from payer `index` to the seller, valid for five minutes. */
export const signPayment = (chain: LocalChain, index: number): Promise<ExactEvmPayload> =>
  chain.signTransferAuthorization({
    payer: chain.accounts.payers[index] ?? chain.accounts.payers[0],
    to: chain.accounts.seller.address,
    value: 10_000n,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000)) + 300n,
  })
