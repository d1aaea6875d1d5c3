import { type Asset, assets as defaultAssets } from '@tollgate/protocol'
import type { Address } from 'viem'
import { hexToBytesOrUndefined } from '../encoding/hex.ts'
import { authorizationDigest } from './authorizationDigest.ts'
import { domainSeparator } from './domainSeparator.ts'
import type { ExactAuthorization } from './toExactAuthorization.ts'

/** The EIP-712 digest of an authorization for an accepted asset; `undefined` for an unknown asset. */
export type AuthorizationDigester = (asset: Address, authorization: ExactAuthorization) => Uint8Array | undefined

export type CreateAuthorizationDigesterOptions = {
  chainId: number
  /** Default: the protocol asset table (USDC) entries for `chainId`. */
  assets?: readonly Asset[]
}

/**
 * Digests authorizations under each accepted asset's own EIP-712 domain (from the asset table, not
 * from the request), with the domain separators computed once. The digest names one authorization
 * whatever its signature encoding, so the facilitator uses it as the ledger's payload hash and hands
 * it to the verifier instead of hashing twice.
 *
 * @example
 * import { createAuthorizationDigester } from '@tollgate/evm'
 * const digest = createAuthorizationDigester({ chainId: 8453 })
 * digest(usdc, authorization) // Uint8Array(32)
 * @see https://eips.ethereum.org/EIPS/eip-712
 */
export function createAuthorizationDigester({
  chainId,
  assets = Object.values(defaultAssets),
}: CreateAuthorizationDigesterOptions): AuthorizationDigester {
  const separators = new Map<string, Uint8Array>()
  for (const asset of assets) {
    if (asset.network !== `eip155:${chainId}`) continue
    const separator = domainSeparator({
      name: asset.name,
      version: asset.version,
      chainId,
      verifyingContract: asset.address.toLowerCase() as Address,
    })
    separators.set(asset.address.toLowerCase(), hexToBytesOrUndefined(separator) as Uint8Array)
  }
  return function digest(asset, authorization) {
    const separator = separators.get(asset.toLowerCase())
    return separator && authorizationDigest(separator, authorization)
  }
}
