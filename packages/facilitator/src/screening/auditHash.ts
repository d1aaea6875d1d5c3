import { type Hex, sha256, stringToBytes } from 'viem'

/** The `prevHash` of the first record. */
export const genesisHash: Hex = `0x${'0'.repeat(64)}`

/**
 * SHA-256 of `seq`, `at`, `prevHash` and `body`, one per line: changing any of them, or moving a record,
 * changes its hash and breaks the link from the next one.
 */
export function auditHash({ seq, at, prevHash, body }: { seq: number; at: bigint; prevHash: Hex; body: string }): Hex {
  return sha256(stringToBytes(`${seq}\n${at}\n${prevHash}\n${body}`))
}
