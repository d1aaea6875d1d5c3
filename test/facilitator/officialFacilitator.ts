/**
 * The official x402 facilitator (`@x402/core` + `@x402/evm`, exact scheme, v2 and v1) on a local
 * chain: the reference our verify is compared with, and the baseline of bench/verify. Test and bench
 * only: nothing in packages/ or apps/ imports the official packages.
 */
import { x402Facilitator } from '@x402/core/facilitator'
import { toFacilitatorEvmSigner } from '@x402/evm'
import { registerExactEvmScheme } from '@x402/evm/exact/facilitator'
import { type Address, type Chain, createWalletClient, http, type LocalAccount, publicActions } from 'viem'

export type OfficialFacilitatorOptions = {
  url: string
  chain: Chain
  account: LocalAccount
  eip6492AllowedFactories?: Address[]
  /** viem's receipt polling, ms. Default: viem's for `chain` (1,000 ms for Base's 2 s blocks). */
  pollingInterval?: number
}

export function createOfficialFacilitator({
  url,
  chain,
  account,
  eip6492AllowedFactories = [],
  pollingInterval,
}: OfficialFacilitatorOptions) {
  const client = createWalletClient({
    account,
    chain,
    transport: http(url),
    ...(pollingInterval === undefined ? {} : { pollingInterval }),
  }).extend(publicActions)
  const signer = toFacilitatorEvmSigner(Object.assign(client, { address: account.address }) as never)
  const facilitator = new x402Facilitator()
  registerExactEvmScheme(facilitator, {
    signer,
    networks: [`eip155:${chain.id}`] as never,
    eip6492AllowedFactories,
  } as never)
  return facilitator
}
