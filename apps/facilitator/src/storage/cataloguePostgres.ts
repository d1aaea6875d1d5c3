import type { CatalogueItem, ResourceCatalogue } from '../discovery/catalogue.ts'
import { createTables, type PostgresConnection, storePool } from './postgresTables.ts'

/** Options of {@link createPostgresCatalogue}. */
export type CreatePostgresCatalogueOptions = {
  /** The ledger's schema. Default `public`. */
  schema?: string
} & PostgresConnection

/**
 * The discovery catalogue on PostgreSQL, in `<schema>.tollgate_discovery_entries` beside the
 * ledger, shared by every node. The table is created at start under an advisory lock; the table of
 * earlier versions (`tollgate_discovery_resources`, made from buyers' echoes) is dropped. A write
 * takes the advisory lock of its origin, so two payees racing for one origin meet in one order.
 *
 * @example
 * const catalogue = await createPostgresCatalogue({ connectionString: 'postgres://…', schema: 'public' })
 */
export async function createPostgresCatalogue({
  schema: schemaName = 'public',
  ...connection
}: CreatePostgresCatalogueOptions): Promise<ResourceCatalogue> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schemaName)) throw new TypeError('schema must be a lower-case name')
  const table = `"${schemaName}".tollgate_discovery_entries`
  const connected = storePool(connection, 2)
  const { pool } = connected
  await createTables(connected, `tollgate-discovery:${schemaName}`, [
    `CREATE SCHEMA IF NOT EXISTS "${schemaName}"`,
    `DROP TABLE IF EXISTS "${schemaName}".tollgate_discovery_resources`,
    `CREATE TABLE IF NOT EXISTS ${table} (
      key text PRIMARY KEY,
      origin text NOT NULL,
      type text NOT NULL,
      pay_to text NOT NULL,
      network text NOT NULL,
      scheme text NOT NULL,
      updated_at bigint NOT NULL,
      item jsonb NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS tollgate_discovery_entries_origin ON ${table} (origin)`,
  ])
  const where = `WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR lower(pay_to) = lower($2))
    AND ($3::text IS NULL OR network = $3) AND ($4::text IS NULL OR scheme = $4)`
  return {
    async record(entry) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tollgate-discovery:${entry.origin}`])
        const written = await client.query(
          `INSERT INTO ${table} (key, origin, type, pay_to, network, scheme, updated_at, item)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8
           WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE origin = $2 AND lower(pay_to) <> lower($4))
           ON CONFLICT (key) DO UPDATE SET type = excluded.type, network = excluded.network,
             scheme = excluded.scheme, updated_at = excluded.updated_at, item = excluded.item
           WHERE lower(${table}.pay_to) = lower(excluded.pay_to)`,
          [
            entry.key,
            entry.origin,
            entry.type,
            entry.payTo,
            entry.network,
            entry.scheme,
            entry.updatedAt.toString(),
            entry.item,
          ],
        )
        await client.query('COMMIT')
        return written.rowCount === 1
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
    async list(query) {
      const filters = [query.type ?? null, query.payTo ?? null, query.network ?? null, query.scheme ?? null]
      const [page, count] = await Promise.all([
        pool.query<{ item: CatalogueItem }>(
          `SELECT item FROM ${table} ${where} ORDER BY updated_at DESC, key LIMIT $5 OFFSET $6`,
          [...filters, query.limit, query.offset],
        ),
        pool.query<{ total: string }>(`SELECT count(*) AS total FROM ${table} ${where}`, filters),
      ])
      return { items: page.rows.map((row) => row.item), total: Number(count.rows[0]?.total ?? 0) }
    },
    close: connected.end,
  }
}
