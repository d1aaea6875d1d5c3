import type { EvmNetwork } from './networks.ts'

/** A token x402 `exact` can settle: address, decimals and the EIP-712 domain it signs with. */
export type Asset = {
  network: EvmNetwork
  address: `0x${string}`
  symbol: string
  decimals: number
  /** EIP-712 domain `name`; differs between chains (`USD Coin` on Base, `USDC` on Base Sepolia). */
  name: string
  /** EIP-712 domain `version`. */
  version: string
}

/**
 * USDC on Base and Base Sepolia, read from the chains' `name()`/`version()`.
 *
 * @see x402-protocol reference §5, `@x402/evm` defaultAssets
 */
export const assets = {
  'eip155:8453': {
    network: 'eip155:8453',
    address: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    symbol: 'USDC',
    decimals: 6,
    name: 'USD Coin',
    version: '2',
  },
  'eip155:84532': {
    network: 'eip155:84532',
    address: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
    symbol: 'USDC',
    decimals: 6,
    name: 'USDC',
    version: '2',
  },
} as const satisfies Record<string, Asset>

/** A network with a default asset. */
export type AssetNetwork = keyof typeof assets

/** The default asset (USDC) of a CAIP-2 network, or `undefined`. */
export function defaultAsset(network: string): Asset | undefined {
  return Object.hasOwn(assets, network) ? assets[network as AssetNetwork] : undefined
}

/** The known asset at `address` on `network` (address compared case-insensitively), or `undefined`. */
export function findAsset(network: string, address: string): Asset | undefined {
  const asset = defaultAsset(network)
  return asset && asset.address.toLowerCase() === address.toLowerCase() ? asset : undefined
}
