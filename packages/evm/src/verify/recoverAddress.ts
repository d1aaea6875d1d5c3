import type { Address } from 'viem'
import { recoverAddress } from 'viem'
import { toHex } from '../encoding/hex.ts'

/**
 * Recovers the address that produced an ECDSA secp256k1 signature over a 32-byte digest, or
 * `undefined` if the signature does not recover. `signature` is the 64-byte `r ‖ s` and
 * `recoveryBit` is `v - 27`. Implementations may return any address casing.
 *
 * Injected into {@link createExactVerifier} so a Node service can use a native libsecp256k1
 * (about 30x faster than pure JS) while this package stays runtime-neutral.
 */
export type RecoverAddress = (
  digest: Uint8Array,
  signature: Uint8Array,
  recoveryBit: 0 | 1,
) => Address | undefined | Promise<Address | undefined>

/**
 * The default {@link RecoverAddress}: viem's `recoverAddress` (pure JS, @noble/curves). Runs
 * everywhere, about 700 recoveries per second per core.
 *
 * @example
 * import { createExactVerifier, jsRecoverAddress } from '@tollgate/evm'
 * const verify = createExactVerifier(client, { chainId: 8453, recover: jsRecoverAddress })
 */
export const jsRecoverAddress: RecoverAddress = async function jsRecoverAddress(digest, signature, recoveryBit) {
  const full = new Uint8Array(65)
  full.set(signature.subarray(0, 64), 0)
  full[64] = 27 + recoveryBit
  try {
    return await recoverAddress({ hash: toHex(digest), signature: toHex(full) })
  } catch {
    return undefined
  }
}
