import { type Hex, sha256 as sha256Of, stringToBytes } from 'viem'
import type { SanctionsListStore } from '../sanctions/sanctionsListStore.ts'
import { createTables, type PostgresConnection, storePool } from './postgresTables.ts'

/** Options of {@link createPostgresSanctionsListStore}. */
export type CreatePostgresSanctionsListStoreOptions = {
  /** The ledger's schema. Default `public`. */
  schema?: string
  /** Seconds since the epoch (the rows' `updated_at`). */
  now: () => bigint
} & PostgresConnection

/**
 * The OFAC list in the shared PostgreSQL database (`TOLLGATE_SANCTIONS_LIST=postgres`), in
 * `<schema>.tollgate_sanctions_lists` beside the ledger: the row `current` every node loads (and polls by its
 * SHA-256), and the row `held` for a candidate kept for review. A replacement is one compare-and-set statement on
 * the current row's SHA-256, so two nodes updating at once cannot both win, and a reader never sees half a list.
 *
 * @example
 * const store = await createPostgresSanctionsListStore({ pool, schema: 'public', now })
 */
export async function createPostgresSanctionsListStore({
  schema = 'public',
  now,
  ...connection
}: CreatePostgresSanctionsListStoreOptions): Promise<SanctionsListStore> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError('schema must be a lower-case name')
  const table = `"${schema}".tollgate_sanctions_lists`
  const connected = storePool(connection, 2)
  const { pool } = connected
  await createTables(connected, `tollgate-sanctions:${schema}`, [
    `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
    `CREATE TABLE IF NOT EXISTS ${table} (
      slot text PRIMARY KEY CHECK (slot IN ('current', 'held')),
      sha256 text NOT NULL,
      body text NOT NULL,
      updated_at bigint NOT NULL
    )`,
  ])
  const hashOf = (text: string) => sha256Of(stringToBytes(text))
  return {
    where: `postgres ${schema}.tollgate_sanctions_lists`,
    async read() {
      const { rows } = await pool.query<{ sha256: Hex; body: string }>(
        `SELECT sha256, body FROM ${table} WHERE slot = 'current'`,
      )
      const row = rows[0]
      return row ? { text: row.body, sha256: row.sha256 } : undefined
    },
    async sha256() {
      const { rows } = await pool.query<{ sha256: Hex }>(`SELECT sha256 FROM ${table} WHERE slot = 'current'`)
      return rows[0]?.sha256
    },
    async replace(text, { expected }) {
      const values = [hashOf(text), text, now().toString()]
      const written =
        expected === undefined
          ? await pool.query(
              `INSERT INTO ${table} (slot, sha256, body, updated_at) VALUES ('current', $1, $2, $3)
               ON CONFLICT (slot) DO NOTHING`,
              values,
            )
          : await pool.query(
              `UPDATE ${table} SET sha256 = $1, body = $2, updated_at = $3 WHERE slot = 'current' AND sha256 = $4`,
              [...values, expected],
            )
      return written.rowCount === 1
    },
    async hold(text) {
      await pool.query(
        `INSERT INTO ${table} (slot, sha256, body, updated_at) VALUES ('held', $1, $2, $3)
         ON CONFLICT (slot) DO UPDATE SET sha256 = excluded.sha256, body = excluded.body, updated_at = excluded.updated_at`,
        [hashOf(text), text, now().toString()],
      )
      return `postgres ${schema}.tollgate_sanctions_lists (slot held)`
    },
    close: () => connected.end(),
  }
}
