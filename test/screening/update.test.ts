/**
 * The OFAC list kept fresh by the facilitator itself: `sanctions update` and the refresh schedule fetch the list from
 * a local HTTP server on 127.0.0.1 (never the internet), check it and swap it in, on two real services sharing one
 * PostgreSQL database (`TOLLGATE_SANCTIONS_LIST=postgres`) and on one node's own file; a real anvil; /verify over
 * HTTP shows which list each node screens with.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { promisify } from 'node:util'
import { readAuditChain, verifyAuditChain } from '@tollgate/facilitator'
import type { LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runSanctionsCommand } from '../../apps/facilitator/src/commands/sanctions.ts'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, dropSchema, postgresAvailable, query, uniqueSchema } from '../ledger/postgres.ts'
import { type ListServer, startListServer } from './listServer.ts'
import { fillers, sdnAdvancedXml } from './sdnList.ts'
import { paymentBody, post } from './verifyBody.ts'

const available = await postgresAvailable('test/screening/update')
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const dir = mkdtempSync(join(tmpdir(), 'tollgate-update-'))
const schemas = { cli: uniqueSchema('sdn_cli'), schedule: uniqueSchema('sdn_sched') }
let chain: LocalChain
let server: ListServer
let logged = ''
const capture = new Writable({
  write(chunk, _encoding, done) {
    logged += String(chunk)
    done()
  },
})
const started: RunningFacilitator[] = []

beforeAll(async () => {
  chain = await startLocalChain()
  server = await startListServer()
}, 60_000)
afterAll(async () => {
  await Promise.allSettled(started.map((node) => node.stop()))
  await server?.stop()
  await chain?.stop()
  if (available) for (const schema of Object.values(schemas)) await dropSchema(schema)
  rmSync(dir, { recursive: true, force: true })
})

const payer = (i: number) => chain.accounts.payers[i] as LocalAccount
/** What `sanctions update` and the services read: the list server's document, small lists allowed. */
const listEnv = (path: string, extra: Record<string, string> = {}) => ({
  TOLLGATE_SANCTIONS_URL: `${server.origin}${path}`,
  TOLLGATE_SANCTIONS_MIN_BYTES: '1000',
  TOLLGATE_SANCTIONS_MAX_BYTES: '5000000',
  TOLLGATE_SANCTIONS_TIMEOUT_MS: '1500',
  ...extra,
})

async function startNode(key: number, env: Record<string, string>) {
  const node = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[key],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_METRICS_PORT: '0',
      TOLLGATE_RECONCILE_INTERVAL_MS: '0',
      // Not what this suite tests: no API keys.
      TOLLGATE_AUTH: 'off',
      ...env,
    },
    { nodeId: `node-${key}-${started.length}`, logDestination: capture },
  )
  started.push(node)
  return node
}

/** Runs `sanctions update` in this process: its exit code and its one JSON line. */
async function update(env: Record<string, string>, args: string[] = []) {
  let out = ''
  let err = ''
  const code = await runSanctionsCommand(['update', ...args], {
    env,
    out: (text) => {
      out += text
    },
    err: (text) => {
      err += text
    },
  })
  return { code, result: out ? (JSON.parse(out) as Record<string, unknown>) : undefined, err }
}

const verdict = async (node: RunningFacilitator, who: LocalAccount) =>
  (await post(`${node.url}/verify`, (await paymentBody(chain, who)).json)).json

type Ready = { ready: boolean; checks: { screening: Record<string, unknown> & { ok: boolean; detail: string } } }
const ready = async (node: RunningFacilitator) => (await (await fetch(`${node.metricsUrl}/ready`)).json()) as Ready

/** Waits until `node` screens with the list of `dateOfIssue` (its /ready detail names it). */
async function waitForList(node: RunningFacilitator, dateOfIssue: string, ms = 15_000) {
  const deadline = Date.now() + ms
  for (;;) {
    const { checks } = await ready(node)
    if (checks.screening.detail.includes(`sanctions list of ${dateOfIssue}`)) return checks.screening
    if (Date.now() > deadline) throw new Error(`no list of ${dateOfIssue} after ${ms} ms: ${checks.screening.detail}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

const sample = (text: string, metric: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined
}

describe.skipIf(!available)('sanctions update on two nodes sharing PostgreSQL', () => {
  const cliEnv = () => ({
    TOLLGATE_SANCTIONS_LIST: 'postgres',
    TOLLGATE_DATABASE_URL: databaseUrl,
    TOLLGATE_DATABASE_SCHEMA: schemas.cli,
    ...listEnv('/SDN_ADVANCED.XML'),
  })
  const current = async () =>
    (
      await query<{ sha256: string }>(
        `SELECT sha256 FROM "${schemas.cli}".tollgate_sanctions_lists WHERE slot = 'current'`,
      )
    )[0]?.sha256
  const base = fillers(12, 0xa1)
  let nodes: RunningFacilitator[]

  beforeAll(async () => {
    server.answer('/SDN_ADVANCED.XML', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-01', addresses: [payer(0).address, ...base] }),
    })
    const first = await update(cliEnv())
    expect(first).toMatchObject({ code: 0, result: { result: 'applied', list: { dateOfIssue: '2026-12-01' } } })
    const env = { ...cliEnv(), TOLLGATE_SANCTIONS_REFRESH_SECONDS: '0' }
    nodes = [await startNode(0, env), await startNode(8, env)]
  }, 60_000)

  test('default: a good update swaps in on both nodes', async () => {
    for (const node of nodes) expect(await verdict(node, payer(1))).toMatchObject({ isValid: true })
    server.answer('/SDN_ADVANCED.XML', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-02', addresses: [payer(0).address, payer(1).address, ...base] }),
    })
    const applied = await update(cliEnv())
    expect(applied).toMatchObject({
      code: 0,
      result: {
        result: 'applied',
        where: `postgres ${schemas.cli}.tollgate_sanctions_lists`,
        url: `${server.origin}/SDN_ADVANCED.XML`,
        source: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), dateOfIssue: '2026-12-02' },
        list: { dateOfIssue: '2026-12-02', addresses: 14, added: 1, removed: 0 },
        previous: { dateOfIssue: '2026-12-01', addresses: 13 },
      },
    })
    for (const node of nodes) {
      await waitForList(node, '2026-12-02')
      expect(await verdict(node, payer(1))).toMatchObject({ isValid: false, invalidReason: 'compliance_blocked_payer' })
      expect(await verdict(node, payer(0))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    }
    // The same document again: nothing converted, the list confirmed current (a new checkedAt, so a new artifact).
    const before = await current()
    expect(await update(cliEnv())).toMatchObject({ code: 0, result: { result: 'unchanged' } })
    expect(await current()).not.toBe(before)
  }, 60_000)

  test('behavior: a truncated, malformed, older or mass-removal list is refused and the old one kept', async () => {
    const good = sdnAdvancedXml({ dateOfIssue: '2026-12-03', addresses: [payer(0).address, payer(1).address, ...base] })
    const kept = await current()
    const cases: [string, string | Buffer, string][] = [
      ['cut in the middle', good.slice(0, Math.floor(good.length * 0.6)), 'malformed'],
      ['cut short', good.slice(0, 500), 'too_small'],
      ['not the list', `<html><body>${'Service unavailable. '.repeat(100)}</body></html>`, 'malformed'],
      [
        'the namespace before 2024',
        sdnAdvancedXml({
          dateOfIssue: '2026-12-03',
          addresses: [payer(2).address, ...base],
          xmlns: 'http://www.un.org/sanctions/1.0',
        }),
        'malformed',
      ],
      ['an older list', sdnAdvancedXml({ dateOfIssue: '2026-11-30', addresses: [payer(2).address, ...base] }), 'older'],
      [
        'most addresses removed',
        sdnAdvancedXml({ dateOfIssue: '2026-12-04', addresses: [payer(2).address] }),
        'mass_removal',
      ],
    ]
    for (const [name, body, code] of cases) {
      server.answer('/SDN_ADVANCED.XML', { body })
      const refused = await update(cliEnv())
      expect({ name, ...refused }).toMatchObject({
        name,
        code: 1,
        result: { result: code === 'mass_removal' ? 'held' : 'refused', code },
      })
      expect(await current()).toBe(kept)
    }
    // The held candidate is there for review, beside the current list.
    const held = await query<{ body: string }>(
      `SELECT body FROM "${schemas.cli}".tollgate_sanctions_lists WHERE slot = 'held'`,
    )
    expect(JSON.parse(held[0]?.body ?? '{}')).toMatchObject({
      source: { dateOfIssue: '2026-12-04' },
      counts: { evmAddresses: 1 },
    })
    // Both nodes still screen with the list of 2026-12-02: payer 1 listed, payer 2 not.
    await new Promise((resolve) => setTimeout(resolve, 5_500)) // past a poll
    for (const node of nodes) {
      expect((await ready(node)).checks.screening.detail).toContain('sanctions list of 2026-12-02')
      expect(await verdict(node, payer(1))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
      expect(await verdict(node, payer(2))).toMatchObject({ isValid: true })
    }
    // After review, the operator applies the removal.
    expect(await update(cliEnv(), ['--allow-mass-removal'])).toMatchObject({
      code: 0,
      result: { result: 'applied', list: { dateOfIssue: '2026-12-04', removed: 14, added: 1 } },
    })
    for (const node of nodes) {
      await waitForList(node, '2026-12-04')
      expect(await verdict(node, payer(1))).toMatchObject({ isValid: true })
      expect(await verdict(node, payer(2))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    }
  }, 120_000)

  test('behavior: a server that hangs or sends 1 GiB is cut off by the timeout and the size cap', async () => {
    const kept = await current()
    server.answer('/SDN_ADVANCED.XML', { hang: true })
    let started = Date.now()
    expect(await update(cliEnv())).toMatchObject({ code: 1, result: { result: 'refused', code: 'timeout' } })
    expect(Date.now() - started).toBeLessThan(5_000)
    server.answer('/SDN_ADVANCED.XML', { huge: true })
    started = Date.now()
    expect(await update(cliEnv())).toMatchObject({ code: 1, result: { result: 'refused', code: 'too_large' } })
    console.log(`1 GiB list: refused after ${Date.now() - started} ms, ${server.hugeBytesWritten()} bytes sent`)
    expect(server.hugeBytesWritten()).toBeLessThan(100_000_000)
    expect(await current()).toBe(kept)
  }, 30_000)

  test('behavior: every update, applied or refused, is in the audit trail with its hashes and dates', async () => {
    const records: Record<string, unknown>[] = []
    for await (const record of readAuditChain((nodes[0] as RunningFacilitator).facilitator.store.audit)) {
      const body = JSON.parse(record.body) as Record<string, unknown>
      if (body.event === 'sanctions_update') records.push(body)
    }
    expect(records.map((r) => (r.code ? `${r.result}:${r.code}` : r.result))).toEqual([
      'applied',
      'applied',
      'unchanged',
      'refused:malformed',
      'refused:too_small',
      'refused:malformed',
      'refused:malformed',
      'refused:older',
      'held:mass_removal',
      'applied',
      'refused:timeout',
      'refused:too_large',
    ])
    expect(records[1]).toMatchObject({
      trigger: 'command',
      where: `postgres ${schemas.cli}.tollgate_sanctions_lists`,
      source: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number), dateOfIssue: '2026-12-02' },
      list: { dateOfIssue: '2026-12-02', artifactSha256: expect.stringMatching(/^0x[0-9a-f]{64}$/) },
      previous: { dateOfIssue: '2026-12-01', sourceSha256: expect.any(String), artifactSha256: expect.any(String) },
    })
    expect(records[7]).toMatchObject({ reason: expect.stringMatching(/older than the current one \(2026-12-02\)/) })
    const chainCheck = await verifyAuditChain(readAuditChain((nodes[0] as RunningFacilitator).facilitator.store.audit))
    expect(chainCheck.ok).toBe(true)
  })
})

describe.skipIf(!available)('the refresh schedule on two nodes sharing PostgreSQL', () => {
  test('behavior: nodes fetch a list at start, swap in a new one without a restart, and keep it when updates fail', async () => {
    const base = fillers(12, 0xb2)
    server.answer('/scheduled.xml', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-10', addresses: [payer(4).address, ...base] }),
    })
    const env = {
      TOLLGATE_SANCTIONS_LIST: 'postgres',
      TOLLGATE_DATABASE_URL: databaseUrl,
      TOLLGATE_DATABASE_SCHEMA: schemas.schedule,
      TOLLGATE_SANCTIONS_REFRESH_SECONDS: '2',
      ...listEnv('/scheduled.xml', { TOLLGATE_SANCTIONS_TIMEOUT_MS: '1000' }),
    }
    // No list in the database yet: both nodes, started at once, fetch one before serving.
    const nodes = await Promise.all([startNode(0, env), startNode(8, env)])
    for (const node of nodes) {
      await waitForList(node, '2026-12-10', 1_000)
      expect(await verdict(node, payer(4))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    }
    server.answer('/scheduled.xml', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-11', addresses: [payer(4).address, payer(3).address, ...base] }),
    })
    for (const node of nodes) {
      await waitForList(node, '2026-12-11')
      expect(await verdict(node, payer(3))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    }
    // The source hangs, then sends a truncated list: each update fails, the list is kept, /ready and /metrics say so.
    server.answer('/scheduled.xml', { hang: true })
    const node = nodes[0] as RunningFacilitator
    const failing = async (pattern: RegExp) => {
      const deadline = Date.now() + 15_000
      for (;;) {
        const { checks, ready: isReady } = await ready(node)
        const update = checks.screening.update as { lastFailure?: string; lastFailureAt?: string }
        if (update.lastFailure && pattern.test(update.lastFailure)) return { checks, isReady }
        if (Date.now() > deadline)
          throw new Error(`no failure ${pattern} on /ready: ${JSON.stringify(checks.screening)}`)
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    }
    const hung = await failing(/^timeout: /)
    expect(hung.isReady).toBe(true) // the list is still well within its maximum age
    expect(hung.checks.screening).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^sanctions list of 2026-12-11, [0-9]+ s old \(max 172800 s\); the last update failed at /,
      ),
      update: { refreshSeconds: 2, lastSuccessAt: expect.any(String), lastFailureAt: expect.any(String) },
    })
    const metrics = await (await fetch(`${node.metricsUrl}/metrics`)).text()
    expect(sample(metrics, 'tollgate_sanctions_update_last_failure_timestamp_seconds')).toBeGreaterThan(0)
    expect(sample(metrics, 'tollgate_sanctions_update_last_success_timestamp_seconds')).toBeGreaterThan(0)
    expect(metrics).toMatch(/tollgate_sanctions_updates_total\{result="refused",code="timeout"\} [1-9]/)
    expect(sample(metrics, 'tollgate_screening_list_age_seconds')).toBeGreaterThanOrEqual(0)
    server.answer('/scheduled.xml', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-12', addresses: [payer(4).address, ...base] }).slice(0, 3_000),
    })
    await failing(/^malformed: /)
    for (const each of nodes) {
      expect((await ready(each)).checks.screening.detail).toContain('sanctions list of 2026-12-11')
      expect(await verdict(each, payer(3))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    }
    expect(logged).toMatch(/"msg":"sanctions update refused; the current list is kept"/)
  }, 90_000)
})

describe('sanctions update into one node file', () => {
  test('behavior: the installed CLI writes the file atomically; a node started without one fetches it, and swaps in the next', async () => {
    const path = join(dir, 'node', 'ofac-sdn-evm.json')
    const base = fillers(12, 0xc3)
    server.answer('/file.xml', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-20', addresses: [payer(5).address, ...base] }),
    })
    const env = { TOLLGATE_SANCTIONS_LIST: path, ...listEnv('/file.xml') }
    // No file yet: the service fetches one before serving.
    const node = await startNode(0, {
      ...env,
      TOLLGATE_DATA_DIR: join(dir, 'node'),
    })
    expect(existsSync(path)).toBe(true)
    await waitForList(node, '2026-12-20', 1_000)
    expect(await verdict(node, payer(5))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    server.answer('/file.xml', {
      body: sdnAdvancedXml({ dateOfIssue: '2026-12-21', addresses: [payer(5).address, payer(6).address, ...base] }),
    })
    const run = promisify(execFile)
    const cli = {
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TOLLGATE_'))),
        ...env,
        TOLLGATE_DATA_DIR: join(dir, 'cli'),
      },
    }
    const { stdout } = await run(process.execPath, [bin, 'sanctions', 'update'], cli)
    expect(JSON.parse(stdout)).toMatchObject({
      where: `file ${path}`,
      result: 'applied',
      list: { dateOfIssue: '2026-12-21', added: 1, removed: 0 },
    })
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ source: { dateOfIssue: '2026-12-21' } })
    await waitForList(node, '2026-12-21', 5_000)
    expect(await verdict(node, payer(6))).toMatchObject({ invalidReason: 'compliance_blocked_payer' })
    // Refused: the file is left as it was.
    const before = readFileSync(path, 'utf8')
    server.answer('/file.xml', { status: 500 })
    await expect(run(process.execPath, [bin, 'sanctions', 'update'], cli)).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/"result":"refused","code":"http_status"/),
    })
    expect(readFileSync(path, 'utf8')).toBe(before)
  }, 60_000)
})
