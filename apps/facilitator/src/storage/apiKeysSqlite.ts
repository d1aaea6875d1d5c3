import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  decodePayTo,
  decodeScopes,
  encodePayTo,
  encodeScopes,
} from '../http/apiKeys.ts'

type Row = {
  id: string
  hash: string
  scopes: string
  pay_to: string
  label: string
  created_at: number
  revoked_at: number | null
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

/**
 * API keys on SQLite, in `<dataDir>/api-keys.sqlite` next to the ledger (one node): the service and
 * the `keys` CLI open the same file. Only hashes are stored.
 *
 * @example
 * const keys = createSqliteApiKeyStore({ dataDir: './.data' })
 */
export function createSqliteApiKeyStore({ dataDir }: { dataDir: string }): ApiKeyStore {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'api-keys.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    pay_to TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  )`)
  const insert = db.prepare(
    'INSERT INTO api_keys (id, hash, scopes, pay_to, label, created_at) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const get = db.prepare<[string], Row>('SELECT * FROM api_keys WHERE id = ?')
  const list = db.prepare<[], Row>('SELECT * FROM api_keys ORDER BY created_at DESC, rowid DESC')
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
  return {
    async insert(record) {
      insert.run(
        record.id,
        record.hash,
        encodeScopes(record.scopes),
        encodePayTo(record.payTo),
        record.label,
        Number(record.createdAt),
      )
    },
    async get(id) {
      const row = get.get(id)
      return row && toRecord(row)
    },
    async list() {
      return list.all().map(toRecord)
    },
    async revoke(id, now) {
      return revoke.run(Number(now), id).changes === 1
    },
    async close() {
      if (db.open) db.close()
    },
  }
}
