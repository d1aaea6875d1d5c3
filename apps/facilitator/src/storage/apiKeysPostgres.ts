import {
  type ApiKeyRecord,
  type ApiKeyStore,
  decodePayTo,
  decodeScopes,
  encodePayTo,
  encodeScopes,
} from '../http/apiKeys.ts'
import { createTables, type PostgresConnection, storePool } from './postgresTables.ts'

type Row = {
  id: string
  hash: string
  scopes: string
  pay_to: string
  label: string
  created_at: string
  revoked_at: string | null
}

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  hash: row.hash,
  scopes: decodeScopes(row.scopes),
  payTo: decodePayTo(row.pay_to),
  label: row.label,
  createdAt: BigInt(row.created_at),
  ...(row.revoked_at === null ? {} : { revokedAt: BigInt(row.revoked_at) }),
})

/** Options of {@link createPostgresApiKeyStore}. */
export type CreatePostgresApiKeyStoreOptions = {
  /** The ledger's schema. Default `public`. */
  schema?: string
} & PostgresConnection

/**
 * API keys on PostgreSQL, in `<schema>.tollgate_api_keys` beside the ledger, so every node that
 * shares the ledger shares the keys (a key created or revoked through one is seen by all). The table
 * is created at start under an advisory lock. Only hashes are stored.
 *
 * @example
 * const keys = await createPostgresApiKeyStore({ connectionString: 'postgres://…', schema: 'public' })
 */
export async function createPostgresApiKeyStore({
  schema: schemaName = 'public',
  ...connection
}: CreatePostgresApiKeyStoreOptions): Promise<ApiKeyStore> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schemaName)) throw new TypeError('schema must be a lower-case name')
  const table = `"${schemaName}".tollgate_api_keys`
  const connected = storePool(connection, 4)
  const { pool } = connected
  await createTables(connected, `tollgate-api-keys:${schemaName}`, [
    `CREATE SCHEMA IF NOT EXISTS "${schemaName}"`,
    `CREATE TABLE IF NOT EXISTS ${table} (
      id text PRIMARY KEY,
      hash text NOT NULL,
      scopes text NOT NULL,
      pay_to text NOT NULL,
      label text NOT NULL DEFAULT '',
      created_at bigint NOT NULL,
      revoked_at bigint
    )`,
  ])
  return {
    async insert(record) {
      await pool.query(
        `INSERT INTO ${table} (id, hash, scopes, pay_to, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [
          record.id,
          record.hash,
          encodeScopes(record.scopes),
          encodePayTo(record.payTo),
          record.label,
          record.createdAt.toString(),
        ],
      )
    },
    async get(id) {
      const { rows } = await pool.query<Row>(`SELECT * FROM ${table} WHERE id = $1`, [id])
      return rows[0] && toRecord(rows[0])
    },
    async list() {
      const { rows } = await pool.query<Row>(`SELECT * FROM ${table} ORDER BY created_at DESC, id`)
      return rows.map(toRecord)
    },
    async revoke(id, now) {
      const result = await pool.query(`UPDATE ${table} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, [
        now.toString(),
        id,
      ])
      return result.rowCount === 1
    },
    close: connected.end,
  }
}
