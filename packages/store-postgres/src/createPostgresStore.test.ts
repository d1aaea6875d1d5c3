import { storeConformance } from '@tollgate/facilitator/testing'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPostgresStore } from './createPostgresStore.ts'

const url = process.env.TOLLGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const prefix = `tg_store_${process.pid}_${Date.now().toString(36)}`

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch (error) {
    if (process.env.CI) throw new Error(`PostgreSQL at ${url} is required in CI`, { cause: error })
    console.warn(`SKIPPED @tollgate/store-postgres tests: PostgreSQL unreachable at ${url} (${String(error)})`)
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

const available = await reachable()
let pool: pg.Pool
let schemas = 0
const newSchema = () => `${prefix}_${++schemas}`

beforeAll(() => {
  if (available) pool = new pg.Pool({ connectionString: url, max: 8 })
})
afterAll(async () => {
  if (!available) return
  const { rows } = await pool.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [
    `${prefix}%`,
  ])
  for (const { nspname } of rows) await pool.query(`DROP SCHEMA "${nspname}" CASCADE`)
  await pool.end()
})

describe.skipIf(!available)('createPostgresStore conformance (a schema per case)', () => {
  for (const { name, run } of storeConformance(() => createPostgresStore({ pool, schema: newSchema() }))) {
    test(name, run)
  }
})

describe.skipIf(!available)('createPostgresStore', () => {
  test('behavior: five nodes starting at once migrate one schema once', async () => {
    const schema = newSchema()
    const stores = await Promise.all(
      Array.from({ length: 5 }, () => createPostgresStore({ connectionString: url, schema, max: 2 })),
    )
    const { rows } = await pool.query(`SELECT version FROM "${schema}".tollgate_migrations ORDER BY version`)
    // Each version once, 1..n with no gap (n grows with each migration).
    expect(rows.length).toBeGreaterThanOrEqual(5)
    expect(rows).toEqual(rows.map((_, i) => ({ version: i + 1 })))
    await Promise.all(stores.map((store) => store.close()))
    const again = await createPostgresStore({ connectionString: url, schema })
    await again.close()
    expect((await pool.query(`SELECT version FROM "${schema}".tollgate_migrations`)).rows).toHaveLength(rows.length)
  })

  test('behavior: two stores (two pools) agree on one reservation lease, one claim and one signer lease', async () => {
    const schema = newSchema()
    const a = await createPostgresStore({ connectionString: url, schema, max: 4 })
    const b = await createPostgresStore({ connectionString: url, schema, max: 4 })
    const entry = {
      id: 'eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/0x01',
      network: 'eip155:8453',
      chainId: 8453,
      asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
      payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      amount: 2n ** 255n + 1n,
      nonce: `0x${'01'.padStart(64, '0')}`,
      validAfter: 0n,
      validBefore: 1_900_000_000n,
      payloadHash: `0x${'ab'.repeat(32)}`,
      x402Version: 2,
      createdAt: 1_800_000_000n,
      reservedUntil: 1_800_000_120n,
    } as const
    const reserved = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).reserve(entry)))
    expect(reserved.filter((r) => r.ok && r.leased)).toHaveLength(1)
    expect((await b.get(entry.id))?.amount).toBe(2n ** 255n + 1n)
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).claim({ states: ['reserved'], owner: `n${i}`, leaseSeconds: 60n, limit: 5, now: 10n }),
      ),
    )
    expect(claims.flat()).toHaveLength(1)
    const leases = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).acquireSigner({ signer: entry.payer, owner: `n${i}`, leaseSeconds: 60n, now: 10n }),
      ),
    )
    expect(leases.filter(Boolean)).toHaveLength(1)
    await a.close()
    await b.close()
  })

  test('behavior: a bad schema name or missing connection throws', async () => {
    await expect(createPostgresStore({ connectionString: url, schema: 'x; DROP' })).rejects.toThrow(/schema must match/)
    // @ts-expect-error neither connectionString nor pool
    await expect(createPostgresStore({})).rejects.toThrow(/needs connectionString or pool/)
  })
})
