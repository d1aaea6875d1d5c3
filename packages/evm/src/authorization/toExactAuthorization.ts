import type { Authorization } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'

/** An EIP-3009 `TransferWithAuthorization` message with its numbers as bigints. */
export type ExactAuthorization = {
  from: Address
  to: Address
  value: bigint
  validAfter: bigint
  validBefore: bigint
  nonce: Hex
}

/**
 * Converts a wire authorization (decimal strings, already schema-checked) into bigints.
 *
 * @example
 * import { toExactAuthorization } from '@tollgate/evm'
 * const authorization = toExactAuthorization(payload.authorization)
 * @see scheme_exact_evm.md §1
 */
export function toExactAuthorization(authorization: Authorization): ExactAuthorization {
  return {
    from: authorization.from,
    to: authorization.to,
    value: BigInt(authorization.value),
    validAfter: BigInt(authorization.validAfter),
    validBefore: BigInt(authorization.validBefore),
    nonce: authorization.nonce,
  }
}
