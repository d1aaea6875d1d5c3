import type { Hex } from 'viem'
import type { AuditHead, AuditRecord } from '../store/auditStore.ts'
import { auditHash, genesisHash } from './auditHash.ts'

export type VerifyAuditChainResult =
  | { ok: true; count: number; head: AuditHead | undefined }
  | { ok: false; count: number; seq: number; reason: string }

/**
 * Checks a chain of audit records in `seq` order: numbered 1, 2, 3… with no gap, each linked to the
 * previous record's hash, each hash recomputed from its content. Any altered, removed, inserted or moved
 * record fails, naming the first bad `seq`. `expectHead`: a head recorded elsewhere (a copy kept off the
 * database), which the chain must still contain, so a rewritten tail is caught too.
 *
 * @example
 * const result = await verifyAuditChain(readAll(store.audit))
 */
export async function verifyAuditChain(
  records: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  { expectHead }: { expectHead?: AuditHead } = {},
): Promise<VerifyAuditChainResult> {
  let count = 0
  let prevHash: Hex = genesisHash
  let last: AuditHead | undefined
  let sawExpected = expectHead === undefined
  for await (const record of records) {
    const seq = count + 1
    if (record.seq !== seq) return { ok: false, count, seq, reason: `expected record ${seq}, found ${record.seq}` }
    if (record.prevHash.toLowerCase() !== prevHash) {
      return { ok: false, count, seq, reason: 'its prevHash is not the previous record hash' }
    }
    const hash = auditHash(record)
    if (record.hash.toLowerCase() !== hash)
      return { ok: false, count, seq, reason: 'its content does not match its hash' }
    if (expectHead && expectHead.seq === seq) {
      if (expectHead.hash.toLowerCase() !== hash) {
        return { ok: false, count, seq, reason: 'the chain was rewritten from here (the expected head differs)' }
      }
      sawExpected = true
    }
    count = seq
    prevHash = hash
    last = { seq, hash }
  }
  if (!sawExpected) {
    return { ok: false, count, seq: count + 1, reason: `the chain ends before the expected head ${expectHead?.seq}` }
  }
  return { ok: true, count, head: last }
}
