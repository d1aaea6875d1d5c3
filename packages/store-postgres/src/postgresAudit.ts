import type { AuditRecord, AuditStore } from '@tollgate/facilitator'
import type pg from 'pg'

/**
 * The screening audit trail's migration: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE)
 * and hash-chained (`prev_hash` unique: two appends onto one head cannot both land).
 */
export const auditMigration = (s: string): string => `
CREATE TABLE ${s}.screening_audit (
  seq bigint PRIMARY KEY,
  at bigint NOT NULL,
  prev_hash text NOT NULL UNIQUE,
  hash text NOT NULL,
  body text NOT NULL
);
CREATE FUNCTION ${s}.screening_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'screening_audit is append-only'; END $$;
CREATE TRIGGER screening_audit_no_change BEFORE UPDATE OR DELETE ON ${s}.screening_audit
  FOR EACH ROW EXECUTE FUNCTION ${s}.screening_audit_append_only();
CREATE TRIGGER screening_audit_no_truncate BEFORE TRUNCATE ON ${s}.screening_audit
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.screening_audit_append_only();`

type AuditRow = { seq: string; at: string; prev_hash: string; hash: string; body: string }

const toAuditRecord = (row: AuditRow): AuditRecord => ({
  seq: Number(row.seq),
  at: BigInt(row.at),
  prevHash: row.prev_hash as AuditRecord['prevHash'],
  hash: row.hash as AuditRecord['hash'],
  body: row.body,
})

/**
 * The Store's audit trail on PostgreSQL: an append is one transaction under an advisory lock per
 * schema (one appender at a time across nodes) that checks the head, then inserts the records.
 */
export function postgresAudit(pool: pg.Pool, schema: string, schemaName: string): AuditStore {
  const audit = `${schema}.screening_audit`
  return {
    async append(records, { head }) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        // One appender at a time per schema, across nodes; the unique prev_hash backs it up.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tollgate-audit:${schemaName}`])
        const { rows } = await client.query<{ seq: string; hash: string }>(
          `SELECT seq, hash FROM ${audit} ORDER BY seq DESC LIMIT 1`,
        )
        const row = rows[0]
        const current = row ? { seq: Number(row.seq), hash: row.hash as AuditRecord['hash'] } : undefined
        if (current?.seq !== head?.seq || current?.hash !== head?.hash) {
          await client.query('ROLLBACK')
          return { ok: false, head: current }
        }
        if (records.length > 0) {
          const values = records.map(
            (_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`,
          )
          await client.query(
            `INSERT INTO ${audit} (seq, at, prev_hash, hash, body) VALUES ${values.join(', ')}`,
            records.flatMap((r) => [r.seq, r.at.toString(), r.prevHash, r.hash, r.body]),
          )
        }
        await client.query('COMMIT')
        return { ok: true }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async head() {
      const { rows } = await pool.query<{ seq: string; hash: string }>(
        `SELECT seq, hash FROM ${audit} ORDER BY seq DESC LIMIT 1`,
      )
      const row = rows[0]
      return row ? { seq: Number(row.seq), hash: row.hash as AuditRecord['hash'] } : undefined
    },
    async read({ afterSeq, limit }) {
      const { rows } = await pool.query<AuditRow>(`SELECT * FROM ${audit} WHERE seq > $1 ORDER BY seq LIMIT $2`, [
        afterSeq,
        limit,
      ])
      return rows.map(toAuditRecord)
    },
  }
}
