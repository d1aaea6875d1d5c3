import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storeConformance } from '@tollgate/facilitator/testing'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { createSqliteStore } from './createSqliteStore.ts'

const dir = mkdtempSync(join(tmpdir(), 'tollgate-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('createSqliteStore conformance (in memory)', () => {
  for (const { name, run } of storeConformance(() => createSqliteStore({ filename: ':memory:' }))) test(name, run)
})

let fileIndex = 0
describe('createSqliteStore conformance (file under a data directory)', () => {
  for (const { name, run } of storeConformance(() =>
    createSqliteStore({ dataDir: join(dir, `case-${++fileIndex}`) }),
  )) {
    test(name, run)
  }
})

const entry = {
  id: 'eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/0x01',
  network: 'eip155:8453',
  chainId: 8453,
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  amount: 10_000n,
  nonce: `0x${'01'.padStart(64, '0')}`,
  validAfter: 0n,
  validBefore: 1_900_000_000n,
  payloadHash: `0x${'ab'.repeat(32)}`,
  x402Version: 2,
  createdAt: 1_800_000_000n,
} as const

test('behavior: the ledger survives a reopen of the data directory', async () => {
  const dataDir = join(dir, 'reopen')
  const first = createSqliteStore({ dataDir })
  await first.reserve(entry)
  await first.transition(entry.id, { from: ['reserved'], to: 'settling', now: 1_800_000_001n })
  await first.close()
  const second = createSqliteStore({ dataDir, synchronous: 'FULL' })
  expect((await second.get(entry.id))?.state).toBe('settling')
  await second.close()
})

test('behavior: two connections to one file agree on one claim', async () => {
  const dataDir = join(dir, 'shared')
  const a = createSqliteStore({ dataDir })
  const b = createSqliteStore({ dataDir })
  await a.reserve(entry)
  const results = await Promise.all([
    a.transition(entry.id, { from: ['reserved'], to: 'settling', now: 2n }),
    b.transition(entry.id, { from: ['reserved'], to: 'settling', now: 2n }),
  ])
  expect(results.filter((result) => result.ok)).toHaveLength(1)
  await a.close()
  await b.close()
})

test('behavior: without dataDir or filename it throws', () => {
  expect(() => createSqliteStore({})).toThrowErrorMatchingInlineSnapshot(
    `[TypeError: createSqliteStore needs dataDir or filename]`,
  )
})

test('behavior: a version 1 ledger file is migrated in place (leases and claims added, rows kept)', async () => {
  const dataDir = join(dir, 'v1')
  mkdirSync(dataDir, { recursive: true })
  const old = new Database(join(dataDir, 'ledger.sqlite'))
  old.exec(`CREATE TABLE ledger (id TEXT PRIMARY KEY, state TEXT NOT NULL, network TEXT NOT NULL,
    chain_id INTEGER NOT NULL, asset TEXT NOT NULL, payer TEXT NOT NULL, pay_to TEXT NOT NULL, amount TEXT NOT NULL,
    nonce TEXT NOT NULL, valid_after TEXT NOT NULL, valid_before TEXT NOT NULL, payload_hash TEXT NOT NULL,
    x402_version INTEGER NOT NULL, signer TEXT, signer_nonce TEXT, tx_hash TEXT, block_number TEXT, error_code TEXT,
    error_message TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID`)
  old
    .prepare(
      `INSERT INTO ledger VALUES (?, 'settling', ?, 8453, ?, ?, ?, '10000', ?, '0', '1900000000', ?, 2,
        NULL, NULL, NULL, NULL, NULL, NULL, 1800000000, 1800000001)`,
    )
    .run(entry.id, entry.network, entry.asset, entry.payer, entry.payTo, entry.nonce, entry.payloadHash)
  old.pragma('user_version = 1')
  old.close()
  const store = createSqliteStore({ dataDir })
  expect((await store.get(entry.id))?.state).toBe('settling')
  const claimed = await store.claim({ states: ['settling'], owner: 'n', leaseSeconds: 5n, limit: 5, now: 10n })
  expect(claimed.map((e) => e.claimedUntil)).toEqual([15n])
  expect(await store.acquireSigner({ signer: entry.payer, owner: 'n', leaseSeconds: 5n, now: 10n })).toEqual({
    epoch: 1n,
    until: 15n,
  })
  await store.close()
  const again = createSqliteStore({ dataDir })
  expect((await again.get(entry.id))?.claimedBy).toBe('n')
  await again.close()
})
