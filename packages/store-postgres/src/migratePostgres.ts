import type pg from 'pg'
import { auditMigration } from './postgresAudit.ts'
import { exposureMigration, exposureStatesMigration } from './postgresExposure.ts'
import { receiptsMigration } from './postgresReceipts.ts'
import { transactionsMigration } from './postgresTransactions.ts'

/** Ordered migrations; each runs once per schema, in one transaction under an advisory lock. */
const migrations: readonly ((schema: string) => string)[] = [
  (s) => `
CREATE TABLE ${s}.ledger (
  id text PRIMARY KEY,
  state text NOT NULL,
  network text NOT NULL,
  chain_id integer NOT NULL,
  asset text NOT NULL,
  payer text NOT NULL,
  pay_to text NOT NULL,
  amount numeric(78, 0) NOT NULL,
  nonce text NOT NULL,
  valid_after numeric(78, 0) NOT NULL,
  valid_before numeric(78, 0) NOT NULL,
  payload_hash text NOT NULL,
  x402_version smallint NOT NULL,
  signer text,
  signer_nonce numeric(78, 0),
  tx_hash text,
  block_number numeric(78, 0),
  error_code text,
  error_message text,
  reserved_until bigint,
  claimed_by text,
  claimed_until bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX ledger_state_created ON ${s}.ledger (state, created_at, id);
CREATE INDEX ledger_tx_hash ON ${s}.ledger (tx_hash) WHERE tx_hash IS NOT NULL;
CREATE TABLE ${s}.signer_leases (
  signer text PRIMARY KEY,
  owner text NOT NULL,
  until bigint NOT NULL
);`,
  // Signed settlement transactions, kept for rebroadcast.
  transactionsMigration,
  // Fenced signer leases (the epoch grows at every acquisition), the payer's signature, who holds a
  // reservation and who delivered a settled payment (claim digests), payment-identifier keys.
  (s) => `
ALTER TABLE ${s}.signer_leases ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE ${s}.ledger ADD COLUMN signature text, ADD COLUMN holder text, ADD COLUMN delivered_to text,
  ADD COLUMN payment_key text;
CREATE INDEX ledger_payment_key ON ${s}.ledger (payment_key, created_at) WHERE payment_key IS NOT NULL;`,
  // Receipts: one per payment (insert-if-absent on payment_id), signed once (compare-and-set on jws).
  receiptsMigration,
  // The screening audit trail: append-only and hash-chained.
  auditMigration,
  // Optimistic delivery: the mark and the exposure indexes.
  exposureMigration,
  // The open-exposure index over the handed-over (`requested`) and `preconfirmed` states too.
  exposureStatesMigration,
]

/** Runs the missing migrations of `schema` in one transaction, serialised across nodes by an advisory lock. */
export async function migratePostgres(pool: pg.Pool, schemaName: string, schema: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tollgate-migrations:${schemaName}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.tollgate_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    )
    const { rows } = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0) AS version FROM ${schema}.tollgate_migrations`,
    )
    const current = rows[0]?.version ?? 0
    if (current > migrations.length) {
      throw new Error(
        `schema ${schemaName} has ledger migration ${current}; this version of Tollgate knows up to ${migrations.length}.`,
      )
    }
    for (let version = current + 1; version <= migrations.length; version++) {
      await client.query((migrations[version - 1] as (schema: string) => string)(schema))
      await client.query(`INSERT INTO ${schema}.tollgate_migrations (version) VALUES ($1)`, [version])
    }
    await client.query('COMMIT')
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}
