import type { Address, Hex } from 'viem'

export type AuthorizationIdParameters = {
  chainId: number
  asset: Address
  from: Address
  /** EIP-3009 nonce (bytes32). */
  nonce: Hex
}

/**
 * The ledger key of an EIP-3009 authorization: `eip155:<chainId>/<asset>/<from>/<nonce>`, lowercase.
 * The token spends each `(from, nonce)` at most once, so this names one payment everywhere.
 *
 * @example
 * import { authorizationId } from '@tollgate/facilitator'
 * authorizationId({ chainId: 8453, asset: usdc, from, nonce }) // 'eip155:8453/0x8335…/0x3c44…/0xa5a5…'
 * @see architecture.md (The paid request, step 3)
 */
export function authorizationId({ chainId, asset, from, nonce }: AuthorizationIdParameters): string {
  return `eip155:${chainId}/${asset.toLowerCase()}/${from.toLowerCase()}/${nonce.toLowerCase()}`
}
