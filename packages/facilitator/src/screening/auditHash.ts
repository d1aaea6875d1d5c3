import { type Hex, sha256, stringToBytes } from 'viem'

/** The `prevHash` of the first record. */
export const genesisHash: Hex = `0x${'0'.repeat(64)}`

/** SHA-256 of a string's UTF-8 bytes, as 0x hex. */
export type Sha256Hex = (text: string) => Hex

/** SHA-256 in JS (viem / noble), runtime-neutral. A Node service injects a native one (same hash, faster). */
export const jsSha256Hex: Sha256Hex = (text) => sha256(stringToBytes(text))

/**
 * SHA-256 of `seq`, `at`, `prevHash` and `body`, one per line: changing any of them, or moving a record,
 * changes its hash and breaks the link from the next one.
 */
export function auditHash(
  { seq, at, prevHash, body }: { seq: number; at: bigint; prevHash: Hex; body: string },
  hash: Sha256Hex = jsSha256Hex,
): Hex {
  return hash(`${seq}\n${at}\n${prevHash}\n${body}`)
}
