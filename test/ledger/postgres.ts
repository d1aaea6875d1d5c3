/**
 * The test database: `postgres://postgres@127.0.0.1:5432/test` (or `TOLLGATE_TEST_DATABASE_URL`), a
 * unique schema per test file, dropped after. Unreachable: the suite is skipped with a visible
 * message, except under `CI`, where it fails. Test-only.
 */
import pg from 'pg'

export const databaseUrl = process.env.TOLLGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Whether PostgreSQL answers; throws under `CI` when it does not. */
export async function postgresAvailable(suite: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch (error) {
    if (process.env.CI) throw new Error(`${suite}: PostgreSQL at ${databaseUrl} is required in CI`, { cause: error })
    console.warn(`SKIPPED ${suite}: PostgreSQL unreachable at ${databaseUrl} (${String(error)})`)
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** A fresh schema name for one test file. */
export const uniqueSchema = (tag: string) => `tg_${tag}_${process.pid}_${Date.now().toString(36)}`

/** Drops `schema` and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

/**
 * Tears down a suite of nodes on one PostgreSQL ledger: every node stopped (one failing does not keep the rest
 * running), then the chain, then the suite's schema dropped when PostgreSQL was there (`schema` undefined: not).
 */
export async function stopLedgerSuite(
  nodes: readonly { stop(): Promise<void> }[],
  chain: { stop(): Promise<void> } | undefined,
  schema: string | undefined,
): Promise<void> {
  try {
    await Promise.allSettled(nodes.map((node) => node.stop()))
  } finally {
    await chain?.stop()
    if (schema !== undefined) await dropSchema(schema)
  }
}

/** Runs one query on the test database. */
export async function query<Row extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<Row>(sql, values)).rows
  } finally {
    await client.end()
  }
}
