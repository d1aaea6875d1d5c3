import { formatMoney, type PaymentRequirementsV2, type ResourceInfo } from '@tollgate/protocol'

/** What a paywall page shows: the resource and its offers with display amounts. */
export type PaywallInfo = {
  resource: ResourceInfo
  offers: readonly PaywallOffer[]
  /** The `PAYMENT-REQUIRED` header value of this quote (base64 JSON). */
  paymentRequired: string
}

/** One offer as a paywall page shows it. */
export type PaywallOffer = {
  requirements: PaymentRequirementsV2
  /** The price in the asset's unit, e.g. `'0.001'`. */
  display: string
  /** The asset's symbol, e.g. `'USDC'`. */
  symbol: string
  /** The asset's decimals, e.g. `6`. */
  decimals: number
  /** A human name of the network, e.g. `'Base'`. */
  networkName: string
}

const networkNames: Readonly<Record<string, string>> = {
  'eip155:8453': 'Base',
  'eip155:84532': 'Base Sepolia',
  'eip155:1': 'Ethereum',
  'eip155:137': 'Polygon',
  'eip155:43114': 'Avalanche',
}

/** A human name for a CAIP-2 network, falling back to the id itself. */
export function networkName(network: string): string {
  return Object.hasOwn(networkNames, network) ? (networkNames[network] as string) : network
}

/** The display figures of an offer. */
export function paywallOffer(
  requirements: PaymentRequirementsV2,
  asset: { decimals: number; symbol: string },
): PaywallOffer {
  return {
    requirements,
    display: formatMoney(BigInt(requirements.amount), { decimals: asset.decimals }),
    symbol: asset.symbol,
    decimals: asset.decimals,
    networkName: networkName(requirements.network),
  }
}
