import type { Address, Hex } from 'viem'
import { hashDomain } from 'viem'

/** The EIP-712 domain of an EIP-3009 token. */
export type TokenDomain = {
  name: string
  version: string
  chainId: number
  verifyingContract: Address
}

/**
 * The EIP-712 domain separator of a token (what FiatToken's `DOMAIN_SEPARATOR()` returns).
 * Compute it once per asset and pass it to {@link authorizationDigest}.
 *
 * @example
 * import { domainSeparator } from '@tollgate/evm'
 * const separator = domainSeparator({ name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: usdc })
 * @see https://eips.ethereum.org/EIPS/eip-712#definition-of-domainseparator
 */
export function domainSeparator(domain: TokenDomain): Hex {
  return hashDomain({
    domain: { ...domain, chainId: BigInt(domain.chainId) },
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
    },
  })
}
