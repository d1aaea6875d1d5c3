/**
 * The x402 v2 `/verify` and `/settle` body of a payment of 10_000 to the seller of a local chain, with
 * Tollgate's claim when given, and its POST to a facilitator's `/settle`. Test-only.
 */
import { assets, type ExactEvmPayload } from '@tollgate/protocol'
import type { LocalChain } from '../chain/localChain.ts'

/** The requirements of a payment of 10_000 (0.01 USDC) to the chain's seller. */
export const sellerRequirements = (chain: LocalChain) => ({
  scheme: 'exact',
  network: chain.network,
  amount: '10000',
  asset: chain.usdc,
  payTo: chain.accounts.seller.address,
  maxTimeoutSeconds: 300,
  extra: { name: assets[chain.network].name, version: assets[chain.network].version },
})

/** The request body for `payload`, with `tollgate.claim` when `claim` is given. */
export const settleBody = (chain: LocalChain, payload: ExactEvmPayload, claim?: string) => ({
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    resource: { url: 'http://127.0.0.1/paid' },
    accepted: sellerRequirements(chain),
    payload,
  },
  paymentRequirements: sellerRequirements(chain),
  ...(claim ? { tollgate: { claim } } : {}),
})

/** POSTs `payload`'s settle body (with `claim`) to the facilitator at `url`: the status, `Retry-After` and answer. */
export async function postSettle(chain: LocalChain, url: string, payload: ExactEvmPayload, claim?: string) {
  const response = await fetch(`${url}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settleBody(chain, payload, claim)),
  })
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    json: (await response.json()) as Record<string, unknown>,
  }
}
