import type { Hex } from 'viem'
import { writeHex, writeUint256 } from '../encoding/hex.ts'
import { keccak256Bytes } from '../encoding/keccak256Bytes.ts'
import type { ExactAuthorization } from './toExactAuthorization.ts'
import { transferWithAuthorizationTypeHash } from './transferWithAuthorizationTypes.ts'

const struct = new Uint8Array(224)
struct.set(transferWithAuthorizationTypeHash, 0)
const message = new Uint8Array(66)
message[0] = 0x19
message[1] = 0x01

/**
 * The EIP-712 digest a payer signs for a `TransferWithAuthorization`, computed by hand from a
 * precomputed domain separator: two keccaks over fixed-size buffers with {@link keccak256Bytes},
 * several times faster than `hashTypedData`. Returns `undefined` when an address or the nonce is not well-formed hex.
 *
 * @example
 * import { authorizationDigest, domainSeparator, toExactAuthorization } from '@tollgate/evm'
 * const separator = domainSeparator({ name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: usdc })
 * const digest = authorizationDigest(separator, toExactAuthorization(payload.authorization))
 * @see https://eips.ethereum.org/EIPS/eip-712
 */
export function authorizationDigest(
  separator: Hex | Uint8Array,
  authorization: ExactAuthorization,
): Uint8Array | undefined {
  // Reused scratch (synchronous, so calls never overlap): every byte that varies is rewritten below,
  // and the address words' 12 leading bytes are never written, so they stay zero.
  if (
    !writeHex(struct, 44, authorization.from, 20) ||
    !writeHex(struct, 76, authorization.to, 20) ||
    !writeHex(struct, 192, authorization.nonce, 32)
  ) {
    return undefined
  }
  writeUint256(struct, 96, authorization.value)
  writeUint256(struct, 128, authorization.validAfter)
  writeUint256(struct, 160, authorization.validBefore)
  if (typeof separator === 'string') {
    if (!writeHex(message, 2, separator, 32)) return undefined
  } else {
    message.set(separator, 2)
  }
  message.set(keccak256Bytes(struct), 34)
  return keccak256Bytes(message)
}
