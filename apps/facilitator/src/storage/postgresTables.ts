import pg from 'pg'

/** Where a PostgreSQL store connects: a URL (its own pool, ended on `close()`) or a pool the caller owns. */
export type PostgresConnection =
  | {
      /** `postgres://…`: a pool is created here and ended on `close()`. */
      connectionString: string
      pool?: never
    }
  | {
      /** A pool the caller owns (the ledger's): used, and left open on `close()`. */
      pool: pg.Pool
      connectionString?: never
    }

/** A store's pool, and how the store lets go of it: ends a pool it made, leaves the caller's open. */
export type StorePool = { pool: pg.Pool; end(): Promise<void> }

/** The pool of a store: the caller's, or one of `max` connections made from the URL. */
export function storePool({ pool, connectionString }: PostgresConnection, max: number): StorePool {
  if (pool) return { pool, end: async () => undefined }
  const own = new pg.Pool({ connectionString, max })
  own.on('error', () => {})
  return { pool: own, end: () => own.end() }
}

/**
 * Runs a store's table statements in one transaction under the advisory lock `lock`, so nodes
 * starting at once create them once. On failure the store's own pool is ended and the error thrown.
 */
export async function createTables({ pool, end }: StorePool, lock: string, statements: string[]): Promise<void> {
  try {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock])
      for (const statement of statements) await client.query(statement)
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  } catch (error) {
    await end()
    throw error
  }
}
