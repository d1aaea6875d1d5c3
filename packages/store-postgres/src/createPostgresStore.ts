import type { Store } from '@tollgate/facilitator'
import pg from 'pg'
import { migratePostgres } from './migratePostgres.ts'
import { postgresAudit } from './postgresAudit.ts'
import { postgresExposure } from './postgresExposure.ts'
import { postgresLedger } from './postgresLedger.ts'
import { postgresReceipts } from './postgresReceipts.ts'
import { postgresSigners } from './postgresSigners.ts'
import { postgresTransactions } from './postgresTransactions.ts'

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
    await migratePostgres(pool, schemaName, schema)
  } catch (error) {
    if (owned) await pool.end()
    throw error
  }

  let closed = false

  return {
    ...postgresLedger(pool, schema),
    ...postgresSigners(pool, schema),
    ...postgresTransactions(pool, schema),
    ...postgresReceipts(pool, schema),
    ...postgresExposure(pool, schema, schemaName),
    audit: postgresAudit(pool, schema, schemaName),
    async close() {
      if (closed) return
      closed = true
      if (owned) await pool.end()
    },
  }
}
