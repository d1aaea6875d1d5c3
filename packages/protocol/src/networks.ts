/** A CAIP-2 EVM network id, such as `eip155:8453`. */
export type EvmNetwork = `eip155:${number}`

/**
 * EVM networks that have an x402 v1 name, keyed by that name.
 *
 * @see x402-specification-v1.md (network names), `@x402/evm` v1 network map
 */
export const v1Networks = {
  base: 'eip155:8453',
  'base-sepolia': 'eip155:84532',
  ethereum: 'eip155:1',
  sepolia: 'eip155:11155111',
  avalanche: 'eip155:43114',
  'avalanche-fuji': 'eip155:43113',
  polygon: 'eip155:137',
  'polygon-amoy': 'eip155:80002',
  sei: 'eip155:1329',
  'sei-testnet': 'eip155:1328',
  iotex: 'eip155:4689',
  abstract: 'eip155:2741',
  'abstract-testnet': 'eip155:11124',
  peaq: 'eip155:3338',
  story: 'eip155:1514',
  educhain: 'eip155:41923',
  'skale-base-sepolia': 'eip155:324705682',
} as const satisfies Record<string, EvmNetwork>

/** An x402 v1 EVM network name, such as `base`. */
export type V1NetworkName = keyof typeof v1Networks

const byCaip2: ReadonlyMap<string, V1NetworkName> = new Map(
  Object.entries(v1Networks).map(([name, id]) => [id, name as V1NetworkName]),
)

/**
 * The CAIP-2 id of a network given as a v1 name or a CAIP-2 id; `undefined` if unknown.
 *
 * @example
 * toCaip2('base') // 'eip155:8453'
 * toCaip2('eip155:8453') // 'eip155:8453'
 */
export function toCaip2(network: string): EvmNetwork | undefined {
  if (Object.hasOwn(v1Networks, network)) return v1Networks[network as V1NetworkName]
  const match = /^eip155:([1-9][0-9]{0,17})$/.exec(network)
  return match ? (network as EvmNetwork) : undefined
}

/**
 * The v1 name of a network given as a CAIP-2 id or a v1 name; `undefined` when v1 has no name for it.
 *
 * @example
 * toV1Name('eip155:84532') // 'base-sepolia'
 */
export function toV1Name(network: string): V1NetworkName | undefined {
  if (Object.hasOwn(v1Networks, network)) return network as V1NetworkName
  return byCaip2.get(network)
}

/** The EVM chain id of a network given either way; `undefined` if unknown. */
export function chainIdOf(network: string): number | undefined {
  const caip2 = toCaip2(network)
  return caip2 === undefined ? undefined : Number(caip2.slice('eip155:'.length))
}
