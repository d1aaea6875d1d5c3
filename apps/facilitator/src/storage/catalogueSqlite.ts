import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { CatalogueItem, ResourceCatalogue } from '../discovery/catalogue.ts'

type Row = { item: string }

/**
 * The discovery catalogue on SQLite, in `<dataDir>/discovery.sqlite` next to the ledger (one node):
 * one row per resource and method, replaced at each settled payment for it by the payee that owns
 * its origin. The table of earlier versions (`discovery_resources`, made from buyers' echoes) is
 * dropped: nothing in it was asserted by a resource server.
 *
 * @example
 * const catalogue = createSqliteCatalogue({ dataDir: './.data' })
 */
export function createSqliteCatalogue({ dataDir }: { dataDir: string }): ResourceCatalogue {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'discovery.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.exec('DROP TABLE IF EXISTS discovery_resources')
  db.exec(`CREATE TABLE IF NOT EXISTS discovery_entries (
    key TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    type TEXT NOT NULL,
    pay_to TEXT NOT NULL,
    network TEXT NOT NULL,
    scheme TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    item TEXT NOT NULL
  ) WITHOUT ROWID`)
  db.exec('CREATE INDEX IF NOT EXISTS discovery_entries_origin ON discovery_entries (origin)')
  // One statement: the origin's owner is checked and the row written atomically (SQLite has one writer).
  const upsert = db.prepare(
    `INSERT INTO discovery_entries (key, origin, type, pay_to, network, scheme, updated_at, item)
     SELECT @key, @origin, @type, @payTo, @network, @scheme, @updatedAt, @item
     WHERE NOT EXISTS (SELECT 1 FROM discovery_entries WHERE origin = @origin AND lower(pay_to) <> lower(@payTo))
     ON CONFLICT (key) DO UPDATE SET type = excluded.type, network = excluded.network, scheme = excluded.scheme,
       updated_at = excluded.updated_at, item = excluded.item
     WHERE lower(discovery_entries.pay_to) = lower(excluded.pay_to)`,
  )
  const where = `WHERE (@type IS NULL OR type = @type) AND (@payTo IS NULL OR pay_to = @payTo COLLATE NOCASE)
    AND (@network IS NULL OR network = @network) AND (@scheme IS NULL OR scheme = @scheme)`
  const page = db.prepare<Record<string, unknown>, Row>(
    `SELECT item FROM discovery_entries ${where} ORDER BY updated_at DESC, key LIMIT @limit OFFSET @offset`,
  )
  const count = db.prepare<Record<string, unknown>, { total: number }>(
    `SELECT count(*) AS total FROM discovery_entries ${where}`,
  )
  return {
    async record(entry) {
      const { changes } = upsert.run({
        key: entry.key,
        origin: entry.origin,
        type: entry.type,
        payTo: entry.payTo,
        network: entry.network,
        scheme: entry.scheme,
        updatedAt: entry.updatedAt,
        item: JSON.stringify(entry.item),
      })
      return changes === 1
    },
    async list(query) {
      const filters = {
        type: query.type ?? null,
        payTo: query.payTo ?? null,
        network: query.network ?? null,
        scheme: query.scheme ?? null,
      }
      const items = page
        .all({ ...filters, limit: query.limit, offset: query.offset })
        .map((row) => JSON.parse(row.item) as CatalogueItem)
      return { items, total: (count.get(filters) as { total: number }).total }
    },
    async close() {
      if (db.open) db.close()
    },
  }
}
