import type { AuditRecord, LedgerEntry, Store, StoredTransaction } from '@tollgate/facilitator'
import {
  canTransition,
  type LedgerRow,
  ledgerPatchColumns,
  ledgerPatchKeys,
  toLedgerEntry,
} from '@tollgate/facilitator/store'
import pg from 'pg'
import { postgresReceipts, receiptsMigration } from './postgresReceipts.ts'

export type CreatePostgresStoreOptions = {
  /** The schema holding the ledger tables, created if missing. Default `public`. */
  schema?: string
  /** Connections in the pool this store creates from `connectionString`. Default `10`. */
  max?: number
} & (
  | {
      /** `postgres://user@host:port/database`: the store creates a pool and ends it on `close()`. */
      connectionString: string
      pool?: never
    }
  | {
      /** A pool you own: the store uses it and leaves it open on `close()`. */
      pool: pg.Pool
      connectionString?: never
    }
)

type Row = LedgerRow

/** A `transactions` row as `pg` reads it: `numeric` and `bigint` arrive as strings. */
type TransactionRow = { hash: string; chain_id: number; signer: string; nonce: string; raw: string; created_at: string }

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
  // Signed settlement transactions, kept for rebroadcast: hash lowercase, nonce any uint256.
  (s) => `
CREATE TABLE ${s}.transactions (
  hash text PRIMARY KEY,
  chain_id integer NOT NULL,
  signer text NOT NULL,
  nonce numeric(78, 0) NOT NULL,
  raw text NOT NULL,
  created_at bigint NOT NULL
);`,
  // Fenced signer leases (the epoch grows at every acquisition), the payer's signature, who holds a
  // reservation and who delivered a settled payment (claim digests), payment-identifier keys.
  (s) => `
ALTER TABLE ${s}.signer_leases ADD COLUMN epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE ${s}.ledger ADD COLUMN signature text, ADD COLUMN holder text, ADD COLUMN delivered_to text,
  ADD COLUMN payment_key text;
CREATE INDEX ledger_payment_key ON ${s}.ledger (payment_key, created_at) WHERE payment_key IS NOT NULL;`,
  // Receipts: one per payment (insert-if-absent on payment_id), signed once (compare-and-set on jws).
  receiptsMigration,
  // The screening audit trail: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE) and hash-chained
  // (`prev_hash` unique: two appends onto one head cannot both land).
  (s) => `
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
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.screening_audit_append_only();`,
]

type AuditRow = { seq: string; at: string; prev_hash: string; hash: string; body: string }

const toAuditRecord = (row: AuditRow): AuditRecord => ({
  seq: Number(row.seq),
  at: BigInt(row.at),
  prevHash: row.prev_hash as AuditRecord['prevHash'],
  hash: row.hash as AuditRecord['hash'],
  body: row.body,
})

const toParameter = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'bigint' ? value.toString() : String(value)

const toStoredTransaction = (row: TransactionRow): StoredTransaction => ({
  hash: row.hash as StoredTransaction['hash'],
  chainId: row.chain_id,
  signer: row.signer as StoredTransaction['signer'],
  nonce: BigInt(row.nonce),
  raw: row.raw as StoredTransaction['raw'],
  createdAt: BigInt(row.created_at),
})

const byAge = (a: LedgerEntry, b: LedgerEntry) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/** Runs the missing migrations of `schema` in one transaction, serialised across nodes by an advisory lock. */
async function migrate(pool: pg.Pool, schemaName: string, schema: string): Promise<void> {
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

/**
 * The ledger on PostgreSQL (`pg`), for several facilitator nodes sharing one database. Runs its
 * migrations at start (a `tollgate_migrations` table, one transaction under an advisory lock, so
 * nodes starting together migrate once). Every operation is one statement: reservation is
 * `INSERT … ON CONFLICT DO NOTHING`, a lease re-take and every transition a conditional `UPDATE`
 * (one winner under concurrency), `claim` picks rows with `FOR UPDATE SKIP LOCKED`, signer leases are
 * an `INSERT … ON CONFLICT DO UPDATE … WHERE` on the holder, its epoch and expiry (a fenced journal
 * write checks the lease in the same statement). Money and block numbers are
 * `numeric(78, 0)`, read back as bigints without loss. Passes `storeConformance`.
 *
 * @example
 * import { createPostgresStore } from '@tollgate/store-postgres'
 * const store = await createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:5432/tollgate' })
 * @see architecture.md (The ledger, Scale)
 */
export async function createPostgresStore(options: CreatePostgresStoreOptions): Promise<Store> {
  const schemaName = options.schema ?? 'public'
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schemaName)) {
    throw new TypeError(
      `createPostgresStore: schema must match /^[a-z_][a-z0-9_]*$/ (got ${JSON.stringify(schemaName)})`,
    )
  }
  const schema = `"${schemaName}"`
  const owned = options.pool === undefined
  let pool: pg.Pool
  if (options.pool) pool = options.pool
  else if (options.connectionString) {
    pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 })
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => {})
  } else throw new TypeError('createPostgresStore needs connectionString or pool')

  try {
    await migrate(pool, schemaName, schema)
  } catch (error) {
    if (owned) await pool.end()
    throw error
  }

  const ledger = `${schema}.ledger`
  const audit = `${schema}.screening_audit`
  const one = async (sql: string, parameters: unknown[]): Promise<Row | undefined> =>
    (await pool.query<Row>(sql, parameters)).rows[0]
  const selectOne = (id: string) => one(`SELECT * FROM ${ledger} WHERE id = $1`, [id])
  let closed = false

  return {
    async reserve(entry) {
      const reservedUntil = toParameter(entry.reservedUntil)
      const createdAt = entry.createdAt.toString()
      const inserted = await one(
        `INSERT INTO ${ledger} (id, state, network, chain_id, asset, payer, pay_to, amount, nonce, valid_after,
           valid_before, payload_hash, x402_version, reserved_until, created_at, updated_at, signature, holder,
           payment_key)
         VALUES ($1, 'reserved', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17)
         ON CONFLICT (id) DO NOTHING
         RETURNING *`,
        [
          entry.id,
          entry.network,
          entry.chainId,
          entry.asset,
          entry.payer,
          entry.payTo,
          entry.amount.toString(),
          entry.nonce,
          entry.validAfter.toString(),
          entry.validBefore.toString(),
          entry.payloadHash,
          entry.x402Version,
          reservedUntil,
          createdAt,
          entry.signature ?? null,
          entry.holder ?? null,
          entry.paymentKey ?? null,
        ],
      )
      if (inserted) return { ok: true, entry: toLedgerEntry(inserted), created: true, leased: true }
      // Re-take a released reservation or an expired lease: a conditional UPDATE, so one caller wins.
      const retaken = await one(
        `UPDATE ${ledger} SET state = 'reserved', updated_at = $1, reserved_until = $2, holder = $5
         WHERE id = $3 AND payload_hash = $4
           AND (state = 'released' OR (state = 'reserved' AND (reserved_until IS NULL OR reserved_until <= $1)))
         RETURNING *`,
        [createdAt, reservedUntil, entry.id, entry.payloadHash, entry.holder ?? null],
      )
      if (retaken) return { ok: true, entry: toLedgerEntry(retaken), created: false, leased: true }
      const row = await selectOne(entry.id)
      if (!row) throw new Error(`ledger row ${entry.id} vanished during reserve`)
      const stored = toLedgerEntry(row)
      if (stored.state === 'reserved' && stored.payloadHash === entry.payloadHash) {
        return { ok: true, entry: stored, created: false, leased: false }
      }
      return { ok: false, code: 'authorization_in_use', entry: stored }
    },
    async get(id) {
      const row = await selectOne(id)
      return row && toLedgerEntry(row)
    },
    async transition(id, { from, to, patch = {}, now }) {
      const states = from.filter((state) => canTransition(state, to))
      if (states.length > 0) {
        const keys = ledgerPatchKeys.filter((key) => key in patch)
        const sets = keys.map((key, index) => `, ${ledgerPatchColumns[key]} = $${index + 5}`).join('')
        const row = await one(
          `UPDATE ${ledger} SET state = $1, updated_at = $2${sets} WHERE id = $3 AND state = ANY($4::text[]) RETURNING *`,
          [to, now.toString(), id, states, ...keys.map((key) => toParameter(patch[key]))],
        )
        if (row) return { ok: true, entry: toLedgerEntry(row) }
      }
      const current = await selectOne(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async swapDelivery(id, { expected, next, now }) {
      const row = await one(
        `UPDATE ${ledger} SET delivered_to = $1, updated_at = $2
         WHERE id = $3 AND state = 'settled' AND delivered_to IS NOT DISTINCT FROM $4
         RETURNING *`,
        [next ?? null, now.toString(), id, expected ?? null],
      )
      if (row) return { ok: true, entry: toLedgerEntry(row) }
      const current = await selectOne(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async findPayment(paymentKey) {
      const row = await one(
        `SELECT * FROM ${ledger} WHERE payment_key = $1 AND state NOT IN ('failed', 'expired', 'released')
         ORDER BY created_at DESC, id DESC LIMIT 1`,
        [paymentKey],
      )
      return row && toLedgerEntry(row)
    },
    async list({ states, limit = 100 }) {
      if (states.length === 0) return []
      const { rows } = await pool.query<Row>(
        `SELECT * FROM ${ledger} WHERE state = ANY($1::text[]) ORDER BY created_at, id LIMIT $2`,
        [states, limit],
      )
      return rows.map(toLedgerEntry)
    },
    async claim({ states, owner, leaseSeconds, limit, now }) {
      if (states.length === 0 || limit <= 0) return []
      const { rows } = await pool.query<Row>(
        `WITH picked AS (
           SELECT id FROM ${ledger}
           WHERE state = ANY($1::text[]) AND (claimed_until IS NULL OR claimed_until <= $2)
           ORDER BY created_at, id LIMIT $3
           FOR UPDATE SKIP LOCKED)
         UPDATE ${ledger} AS l SET claimed_by = $4, claimed_until = $5
         FROM picked WHERE l.id = picked.id
         RETURNING l.*`,
        [states, now.toString(), limit, owner, (now + leaseSeconds).toString()],
      )
      return rows.map(toLedgerEntry).sort(byAge)
    },
    async acquireSigner({ signer, owner, leaseSeconds, now, epoch }) {
      // A renewal (same owner and epoch) keeps the epoch; any other grant takes the next one.
      const { rows } = await pool.query<{ epoch: string; until: string }>(
        `INSERT INTO ${schema}.signer_leases (signer, owner, until, epoch) VALUES ($1, $2, $3, 1)
         ON CONFLICT (signer) DO UPDATE SET owner = excluded.owner, until = excluded.until,
           epoch = CASE WHEN signer_leases.owner = excluded.owner AND signer_leases.epoch = $5::bigint
             THEN signer_leases.epoch ELSE signer_leases.epoch + 1 END
           WHERE signer_leases.until <= $4
             OR (signer_leases.owner = excluded.owner AND ($5::bigint IS NULL OR signer_leases.epoch = $5::bigint))
         RETURNING epoch::text AS epoch, until::text AS until`,
        [signer.toLowerCase(), owner, (now + leaseSeconds).toString(), now.toString(), toParameter(epoch)],
      )
      const lease = rows[0]
      return lease && { epoch: BigInt(lease.epoch), until: BigInt(lease.until) }
    },
    async releaseSigner({ signer, owner, epoch }) {
      await pool.query(
        `UPDATE ${schema}.signer_leases SET until = 0
         WHERE signer = $1 AND owner = $2 AND ($3::bigint IS NULL OR epoch = $3::bigint)`,
        [signer.toLowerCase(), owner, toParameter(epoch)],
      )
    },
    async saveTransaction({ hash, chainId, signer, nonce, raw, createdAt }, { fence } = {}) {
      const values = [hash.toLowerCase(), chainId, signer, nonce.toString(), raw, createdAt.toString()]
      if (!fence) {
        await pool.query(
          `INSERT INTO ${schema}.transactions (hash, chain_id, signer, nonce, raw, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (hash) DO NOTHING`,
          values,
        )
        return true
      }
      // One statement: the lease row is locked (FOR SHARE) while the transaction is written, so a
      // takeover commits either before the check (refused) or after the write.
      const { rows } = await pool.query<{ held: boolean }>(
        `WITH fence AS (
           SELECT 1 FROM ${schema}.signer_leases
           WHERE signer = lower($3) AND owner = $7 AND epoch = $8::bigint AND until > $9::bigint
           FOR SHARE),
         kept AS (
           INSERT INTO ${schema}.transactions (hash, chain_id, signer, nonce, raw, created_at)
           SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM fence)
           ON CONFLICT (hash) DO NOTHING)
         SELECT EXISTS (SELECT 1 FROM fence) AS held`,
        [...values, fence.owner, fence.epoch.toString(), fence.now.toString()],
      )
      return rows[0]?.held === true
    },
    async getTransaction(hash) {
      const { rows } = await pool.query<TransactionRow>(
        `SELECT hash, chain_id, signer, nonce::text AS nonce, raw, created_at::text AS created_at
         FROM ${schema}.transactions WHERE hash = $1`,
        [hash.toLowerCase()],
      )
      const row = rows[0]
      return row && toStoredTransaction(row)
    },
    ...postgresReceipts(pool, schema),
    audit: {
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
    },
    async close() {
      if (closed) return
      closed = true
      if (owned) await pool.end()
    },
  }
}
