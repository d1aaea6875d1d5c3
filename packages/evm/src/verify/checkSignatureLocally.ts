import type { ErrorCode } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import { isErc6492Signature, parseErc6492Signature } from 'viem'
import { hexByteAt, hexToBytesOrUndefined, isHexShaped, readHex } from '../encoding/hex.ts'
import type { RecoverAddress } from './recoverAddress.ts'

/** The factory call an ERC-6492 wrapper carries to deploy its (not yet deployed) wallet. */
export type Erc6492Deployment = { factory: Address; factoryData: Hex }

export type CheckSignatureLocallyParameters = {
  /** As sent: 65-byte ECDSA, an ERC-1271 wallet's signature, or an ERC-6492 wrapper of either. */
  signature: Hex
  /** The authorization's EIP-712 digest. */
  digest: Uint8Array
  payer: Address
}

export type CheckSignatureLocallyReturnType =
  | {
      ok: true
      /** The signature the payer (or its wallet) signed: `signature` without its ERC-6492 wrapper. */
      inner: Hex
      /** The wrapper's deployment, when `signature` is an ERC-6492 wrapper with one. */
      deployment: Erc6492Deployment | undefined
      /** A 65-byte ECDSA signature that recovers the payer, low-s with `v` 27 or 28. */
      locallyValid: boolean
    }
  | { ok: false; code: ErrorCode }

/** ERC-6492's suffix, without 0x. */
const erc6492Magic = '6492'.repeat(16)

const halfCurveOrder = [
  0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
  0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]

/** `s > n/2`, compared bytewise (no bigint on the hot path). */
function isHighS(signature: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const byte = signature[32 + i] as number
    const limit = halfCurveOrder[i] as number
    if (byte !== limit) return byte > limit
  }
  return false
}

/**
 * The payment's signature, checked with no RPC (internal): an ERC-6492 wrapper is unwrapped
 * (`invalid_exact_evm_failed_to_parse_signature` if it does not parse), and a 65-byte ECDSA
 * signature is recovered with `recover`; when it recovers the payer it must be low-s
 * (`invalid_exact_evm_payload_signature_high_s`) with `v` 27/28
 * (`invalid_exact_evm_payload_signature_v`). A signature that does not recover the payer is left
 * to the payer's code (ERC-1271), `locallyValid: false`.
 *
 * Returns a promise only when `recover` does: a synchronous (native) recovery is not awaited, one
 * microtask less per verification.
 */
export function checkSignatureLocally(
  recover: RecoverAddress,
  { signature, digest, payer }: CheckSignatureLocallyParameters,
): CheckSignatureLocallyReturnType | Promise<CheckSignatureLocallyReturnType> {
  let inner = signature
  let deployment: Erc6492Deployment | undefined
  if (
    signature.length > 2 + 64 * 3 &&
    signature.slice(-64).toLowerCase() === erc6492Magic &&
    isErc6492Signature(signature)
  ) {
    try {
      const parsed = parseErc6492Signature(signature)
      inner = parsed.signature
      if (parsed.address && parsed.data) deployment = { factory: parsed.address, factoryData: parsed.data }
    } catch {
      return { ok: false, code: 'invalid_exact_evm_failed_to_parse_signature' }
    }
  }
  if (inner.length === 2 + 65 * 2 && !deployment) {
    // An EOA's 65-byte signature, read as `r ‖ s` and `v`: 64 bytes stay on V8's heap, where a
    // 65-byte array would take an off-heap buffer (slower to make and to collect).
    const rs = new Uint8Array(64)
    const v = hexByteAt(inner, 130)
    if (!isHexShaped(inner) || !readHex(rs, 0, inner, 2, 64) || v < 0) {
      return { ok: false, code: 'invalid_exact_evm_failed_to_parse_signature' }
    }
    const bit = v === 27 || v === 0 ? 0 : v === 28 || v === 1 ? 1 : undefined
    if (bit !== undefined) {
      const checked = (recovered: Address | undefined): CheckSignatureLocallyReturnType => {
        if (recovered === undefined || recovered.toLowerCase() !== payer.toLowerCase()) {
          return { ok: true, inner, deployment, locallyValid: false }
        }
        if (isHighS(rs)) return { ok: false, code: 'invalid_exact_evm_payload_signature_high_s' }
        if (v !== 27 && v !== 28) return { ok: false, code: 'invalid_exact_evm_payload_signature_v' }
        return { ok: true, inner, deployment, locallyValid: true }
      }
      const recovering = recover(digest, rs, bit)
      return recovering instanceof Promise ? recovering.then(checked) : checked(recovering)
    }
  } else if (inner.length <= 2 || !hexToBytesOrUndefined(inner)) {
    return { ok: false, code: 'invalid_exact_evm_failed_to_parse_signature' }
  }
  return { ok: true, inner, deployment, locallyValid: false }
}
