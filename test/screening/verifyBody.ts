/** `/verify` and `/settle` bodies for the screening suites: one EIP-3009 payment on the local chain. Test-only. */
import { assets } from '@tollgate/protocol'
import type { Address, Hex, LocalAccount } from 'viem'
import type { LocalChain } from '../chain/localChain.ts'

/** A v2 body: `payer` pays `value` to `to` (default: the seller), which the requirements name as payTo. */
export async function paymentBody(
  chain: LocalChain,
  payer: LocalAccount,
  { to = chain.accounts.seller.address, value = 1_000n }: { to?: Address; value?: bigint } = {},
) {
  const { name, version } = assets[chain.network]
  const requirements = {
    scheme: 'exact',
    network: chain.network,
    amount: value.toString(),
    asset: chain.usdc,
    payTo: to,
    maxTimeoutSeconds: 600,
    extra: { name, version },
  }
  const payload = await chain.signTransferAuthorization({
    payer,
    to,
    value,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000)) + 600n,
  })
  return {
    nonce: payload.authorization.nonce as Hex,
    json: {
      x402Version: 2,
      paymentPayload: { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepted: requirements, payload },
      paymentRequirements: requirements,
    },
  }
}

/** POSTs `json` to the facilitator at `url`, with an API key when given. */
export async function post(url: string, json: unknown, key?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(json),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}
