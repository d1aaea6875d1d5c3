import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createAuditLog, createMemoryStore, readAuditChain, type Store, verifyAuditChain } from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, test } from 'vitest'

const run = promisify(execFile)
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const url = process.env.TOLLGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const prefix = `tg_audit_${process.pid}_${Date.now().toString(36)}`
const dirs: string[] = []
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-audit-'))
  dirs.push(dir)
  return dir
}
let schemas = 0
const admin = new pg.Pool({ connectionString: url, max: 2 })
afterAll(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  const { rows } = await admin.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [
    `${prefix}%`,
  ])
  for (const { nspname } of rows) await admin.query(`DROP SCHEMA "${nspname}" CASCADE`)
  await admin.end()
})

let clock = 1_700_000_000n
const now = () => clock++
const decision = (i: number) => ({
  phase: i % 2 ? 'settle' : 'verify',
  payer: `0x${i.toString(16).padStart(40, '0')}`,
  decision: i % 7 === 0 ? 'block' : 'allow',
  amount: BigInt(i) * 1000n,
})

type Backend = {
  name: string
  open(): Promise<{
    store: Store
    env: Record<string, string>
    /** Runs SQL on the database directly; `force`: with the append-only triggers disabled first. */
    tamper(sql: string, options?: { force?: boolean }): Promise<void>
    close(): Promise<void>
  }>
  /** SQL that alters record 5's body, deletes record 3, and the trigger name to drop first. */
  alter: string
  remove: string
}

const sqlite: Backend = {
  name: 'SQLite',
  async open() {
    const dir = newDir()
    const store = createSqliteStore({ dataDir: dir })
    return {
      store,
      env: { TOLLGATE_DATA_DIR: dir },
      async tamper(sql, { force = true } = {}) {
        // Someone with write access to the file: the triggers stop an accidental UPDATE, not a determined one.
        const db = new Database(join(dir, 'ledger.sqlite'))
        try {
          if (force) {
            db.exec(
              'DROP TRIGGER IF EXISTS screening_audit_no_update; DROP TRIGGER IF EXISTS screening_audit_no_delete;',
            )
          }
          db.exec(sql)
        } finally {
          db.close()
        }
      },
      close: () => store.close(),
    }
  },
  alter: `UPDATE screening_audit SET body = replace(body, '"allow"', '"block"') WHERE seq = 5`,
  remove: 'DELETE FROM screening_audit WHERE seq = 3',
}

const postgres: Backend = {
  name: 'PostgreSQL',
  async open() {
    const schema = `${prefix}_${++schemas}`
    const store = await createPostgresStore({ connectionString: url, schema, max: 4 })
    return {
      store,
      env: { TOLLGATE_DATABASE_URL: url, TOLLGATE_DATABASE_SCHEMA: schema },
      async tamper(sql, { force = true } = {}) {
        const disable = force ? 'ALTER TABLE screening_audit DISABLE TRIGGER USER;' : ''
        const client = await admin.connect()
        try {
          await client.query(`SET search_path TO "${schema}"; ${disable} ${sql}`)
        } finally {
          await client.query('RESET search_path').catch(() => undefined)
          client.release()
        }
      },
      close: () => store.close(),
    }
  },
  alter: `UPDATE screening_audit SET body = replace(body, '"allow"', '"block"') WHERE seq = 5`,
  remove: 'DELETE FROM screening_audit WHERE seq = 3',
}

test('default: the in-memory store chains and verifies', async () => {
  const store = createMemoryStore()
  const audit = createAuditLog(store.audit, { now })
  await Promise.all(Array.from({ length: 50 }, (_, i) => audit.append(decision(i))))
  const result = await verifyAuditChain(readAuditChain(store.audit))
  expect(result).toMatchObject({ ok: true, count: 50 })
})

describe.each([sqlite, postgres])('$name', (backend) => {
  test('behavior: concurrent appends from two writers (two nodes) form one chain, which verifies', async () => {
    const { store, close } = await backend.open()
    try {
      const a = createAuditLog(store.audit, { now })
      const b = createAuditLog(store.audit, { now })
      const written = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).append(decision(i))))
      expect(new Set(written.map((record) => record.seq)).size).toBe(200)
      const result = await verifyAuditChain(readAuditChain(store.audit, { pageSize: 64 }))
      expect(result).toMatchObject({ ok: true, count: 200, head: { seq: 200 } })
      // Stored as written: the body is the decision, bigints as decimal strings.
      const [first] = await store.audit.read({ afterSeq: 0, limit: 1 })
      expect(JSON.parse(first?.body ?? '{}')).toHaveProperty('amount')
    } finally {
      await close()
    }
  })

  test('behavior: the table refuses UPDATE and DELETE (append-only)', async () => {
    const { store, tamper, close } = await backend.open()
    try {
      await createAuditLog(store.audit, { now }).append(decision(1))
      await expect(tamper(backend.alter.replace('seq = 5', 'seq = 1'), { force: false })).rejects.toThrow(/append-only/)
      await expect(tamper(backend.remove.replace('seq = 3', 'seq = 1'), { force: false })).rejects.toThrow(
        /append-only/,
      )
      expect(await verifyAuditChain(readAuditChain(store.audit))).toMatchObject({ ok: true, count: 1 })
    } finally {
      await close()
    }
  })

  test('behavior: audit verify (CLI) passes, then fails after a record is altered, and after one is removed', async () => {
    const opened = await backend.open()
    const { store, env, tamper } = opened
    const audit = createAuditLog(store.audit, { now })
    for (let i = 0; i < 10; i++) await audit.append(decision(i))
    await opened.close()
    const cli = (args: string[]) =>
      run(process.execPath, [bin, 'audit', ...args], { env: { ...process.env, ...env } }).then(
        ({ stdout }) => ({ code: 0, out: JSON.parse(stdout) as Record<string, unknown> }),
        (error: { code: number; stdout: string }) => ({ code: error.code, out: JSON.parse(error.stdout) }),
      )
    const intact = await cli(['verify'])
    expect(intact).toMatchObject({ code: 0, out: { ok: true, records: 10 } })
    const head = intact.out.head as string
    // The export verifies on its own, as a copy kept off the database would.
    const dir = newDir()
    const exported = join(dir, 'audit.jsonl')
    await run(process.execPath, [bin, 'audit', 'export', '--out', exported], { env: { ...process.env, ...env } })
    expect(readFileSync(exported, 'utf8').trim().split('\n')).toHaveLength(10)
    expect(await cli(['verify', '--file', exported, '--expect-head', head])).toMatchObject({ code: 0 })

    await tamper(backend.alter)
    expect(await cli(['verify'])).toMatchObject({
      code: 1,
      out: { ok: false, brokenAt: 5, reason: 'its content does not match its hash' },
    })
    await tamper(backend.remove)
    expect(await cli(['verify'])).toMatchObject({ code: 1, out: { ok: false, brokenAt: 3 } })
    // An edited export fails as well.
    const lines = readFileSync(exported, 'utf8').trim().split('\n')
    const row = JSON.parse(lines[7] as string) as { body: string }
    lines[7] = JSON.stringify({ ...row, body: row.body.replace('verify', 'settle').replace('settle', 'verify ') })
    writeFileSync(exported, `${lines.join('\n')}\n`)
    expect(await cli(['verify', '--file', exported])).toMatchObject({ code: 1, out: { brokenAt: 8 } })
  }, 60_000)
})

test('behavior: two nodes (two stores on one PostgreSQL schema) append to one chain concurrently', async () => {
  const schema = `${prefix}_${++schemas}`
  const [one, two] = await Promise.all([
    createPostgresStore({ connectionString: url, schema, max: 4 }),
    createPostgresStore({ connectionString: url, schema, max: 4 }),
  ])
  try {
    const a = createAuditLog(one.audit, { now })
    const b = createAuditLog(two.audit, { now })
    await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).append(decision(i))))
    expect(await verifyAuditChain(readAuditChain(one.audit))).toMatchObject({ ok: true, count: 300 })
  } finally {
    await one.close()
    await two.close()
  }
}, 60_000)
