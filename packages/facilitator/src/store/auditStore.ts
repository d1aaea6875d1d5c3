import type { Hex } from 'viem'

/**
 * One screening decision in the audit trail: `body` is the decision as JSON text (hashed as stored), `seq`
 * counts from 1, `prevHash` is the previous record's `hash` (64 zeros for the first) and `hash` is
 * {@link auditHash} of the four. Append-only: a Store never updates or deletes a record.
 */
export type AuditRecord = { seq: number; at: bigint; prevHash: Hex; hash: Hex; body: string }

/** The newest record of the chain: where the next one attaches. */
export type AuditHead = { seq: number; hash: Hex }

export type AppendAuditResult = { ok: true } | { ok: false; head: AuditHead | undefined }

/** The audit-trail port: the screening decisions, append-only and hash-chained. Adapters pass `auditConformance`. */
export type AuditStore = {
  /**
   * Appends consecutive `records` if and only if the chain's head is `head` now (`undefined`: the chain is
   * empty), in one atomic step; otherwise writes nothing and answers the current head (another node appended).
   */
  append(records: readonly AuditRecord[], options: { head: AuditHead | undefined }): Promise<AppendAuditResult>
  /** The newest record's `seq` and `hash`, or `undefined` for an empty chain. */
  head(): Promise<AuditHead | undefined>
  /** Up to `limit` records with `seq > afterSeq`, in `seq` order. */
  read(options: { afterSeq: number; limit: number }): Promise<AuditRecord[]>
}
