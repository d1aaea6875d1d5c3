import type { Hex } from 'viem'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import { selectors } from './callData.ts'
import { addressWord, padRight, word } from './hex.ts'

/**
 * Calldata of `transferWithAuthorization` on an EIP-3009 token: the `(…, uint8 v, bytes32 r, bytes32 s)`
 * overload for a 65-byte signature (every FiatToken version has it), the `(…, bytes signature)`
 * overload (FiatToken v2.2) otherwise. Pass the unwrapped signature, never an ERC-6492 wrapper.
 *
 * @example
 * import { toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
 * const data = transferWithAuthorizationData(toExactAuthorization(payload.authorization), payload.signature)
 * @see x402-protocol reference §4.3 step 5; FiatTokenV2_2.sol
 */
export function transferWithAuthorizationData(authorization: ExactAuthorization, signature: Hex): Hex {
  const head =
    addressWord(authorization.from) +
    addressWord(authorization.to) +
    word(authorization.value) +
    word(authorization.validAfter) +
    word(authorization.validBefore) +
    authorization.nonce.slice(2).toLowerCase()
  const digits = signature.slice(2)
  if (digits.length === 130) {
    const r = digits.slice(0, 64)
    const s = digits.slice(64, 128)
    const v = Number.parseInt(digits.slice(128, 130), 16)
    return `0x${selectors.transferWithAuthorizationVrs}${head}${word(v)}${r}${s}` as Hex
  }
  return `0x${selectors.transferWithAuthorizationBytes}${head}${word(7 * 32)}${word(digits.length / 2)}${padRight(digits)}` as Hex
}
