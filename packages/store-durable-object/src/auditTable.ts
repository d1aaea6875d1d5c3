import type { AppendAuditResult, AuditHead, AuditRecord } from '@tollgate/facilitator'
import { decodeRow, encodeRow } from './rowCodec.ts'
import type { SqlStorage } from './workersTypes.ts'

export const auditSchema = `
CREATE TABLE IF NOT EXISTS screening_audit (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  record TEXT NOT NULL
);
`

/** The audit object's table: the screening decisions, append-only, appended only onto the head the caller saw. */
export function auditTable(sql: SqlStorage) {
  const head = (): AuditHead | undefined => {
    const rows = sql
      .exec<{ seq: number; hash: string }>('SELECT seq, hash FROM screening_audit ORDER BY seq DESC LIMIT 1')
      .toArray()
    return rows[0] ? { seq: rows[0].seq, hash: rows[0].hash as AuditHead['hash'] } : undefined
  }
  return {
    append(records: readonly AuditRecord[], expected: AuditHead | undefined): AppendAuditResult {
      const current = head()
      if (current?.seq !== expected?.seq || current?.hash !== expected?.hash) return { ok: false, head: current }
      for (const record of records) {
        sql.exec(
          'INSERT INTO screening_audit (seq, hash, record) VALUES (?, ?, ?)',
          record.seq,
          record.hash,
          encodeRow(record),
        )
      }
      return { ok: true }
    },
    head,
    read(afterSeq: number, limit: number): AuditRecord[] {
      return sql
        .exec<{ record: string }>(
          'SELECT record FROM screening_audit WHERE seq > ? ORDER BY seq LIMIT ?',
          afterSeq,
          limit,
        )
        .toArray()
        .map((row) => decodeRow<AuditRecord>(row.record))
    },
  }
}
