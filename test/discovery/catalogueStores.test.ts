/**
 * The SQLite and PostgreSQL discovery catalogues keep, replace, filter and page entries alike, and
 * keep each origin to the payee that listed it first, also when two payees race for it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { CatalogueEntry, ResourceCatalogue } from '../../apps/facilitator/src/discovery/catalogue.ts'
import { createPostgresCatalogue } from '../../apps/facilitator/src/storage/cataloguePostgres.ts'
import { createSqliteCatalogue } from '../../apps/facilitator/src/storage/catalogueSqlite.ts'
import { databaseUrl, dropSchema, postgresAvailable, uniqueSchema } from '../ledger/postgres.ts'

const seller = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const attacker = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const entry = (
  key: string,
  updatedAt: bigint,
  type = 'http',
  payTo = seller,
  origin = 'https://a.example',
): CatalogueEntry => ({
  key,
  origin,
  type,
  payTo,
  network: 'eip155:8453',
  scheme: 'exact',
  updatedAt,
  item: { resource: key, type: 'http', x402Version: 2, accepts: [{ amount: '1', payTo }], lastUpdated: `${updatedAt}` },
})

async function conformance(open: () => Promise<ResourceCatalogue>) {
  const catalogue = await open()
  try {
    expect(await catalogue.record(entry('GET a', 1n))).toBe(true)
    expect(await catalogue.record(entry('GET b', 2n))).toBe(true)
    expect(await catalogue.record(entry('GET a', 3n))).toBe(true)
    expect(await catalogue.record(entry('mcp c', 4n, 'mcp'))).toBe(true)
    // Another payee neither replaces an entry of the origin nor lists a new one beside it.
    expect(await catalogue.record(entry('GET a', 5n, 'http', attacker))).toBe(false)
    expect(await catalogue.record(entry('GET z', 5n, 'http', attacker))).toBe(false)
    const http = await catalogue.list({ type: 'http', limit: 10, offset: 0 })
    expect(http.items.map((i) => [i.resource, i.lastUpdated])).toEqual([
      ['GET a', '3'],
      ['GET b', '2'],
    ])
    expect(http.total).toBe(2)
    const page = await catalogue.list({ limit: 1, offset: 1, payTo: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8' })
    expect(page).toEqual({ items: [expect.objectContaining({ resource: 'GET a' })], total: 3 })
    expect((await catalogue.list({ network: 'eip155:1', limit: 10, offset: 0 })).total).toBe(0)
    // Two payees racing for a new origin: one of them owns every entry it has.
    const race = 'https://race.example'
    const raced = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        catalogue.record(entry(`GET r${i}`, 10n, 'http', i % 2 ? attacker : seller, race)),
      ),
    )
    const owners = new Set(
      (await catalogue.list({ limit: 100, offset: 0 })).items
        .filter((item) => item.resource.startsWith('GET r'))
        .map((item) => String(item.accepts[0]?.payTo)),
    )
    expect(owners.size).toBe(1)
    expect(raced.filter(Boolean).length).toBe(10)
  } finally {
    await catalogue.close()
  }
  // Kept across a restart.
  const again = await open()
  try {
    expect((await again.list({ limit: 100, offset: 0 })).total).toBe(13)
  } finally {
    await again.close()
  }
}

describe('discovery catalogue stores', () => {
  const dirs: string[] = []
  const schemas: string[] = []
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
    for (const schema of schemas) await dropSchema(schema)
  })

  test('default: SQLite', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-catalogue-'))
    dirs.push(dataDir)
    await conformance(async () => createSqliteCatalogue({ dataDir }))
  })

  test('behavior: PostgreSQL', async (context) => {
    if (!(await postgresAvailable('discovery catalogue (PostgreSQL)'))) return context.skip()
    const schema = uniqueSchema('catalogue')
    schemas.push(schema)
    await conformance(() => createPostgresCatalogue({ connectionString: databaseUrl, schema }))
  })
})
