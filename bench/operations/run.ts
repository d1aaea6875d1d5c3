/**
 * Operations benchmark (issue 9): what auth and rate limits cost. Batches of 2,000 `POST /verify`
 * requests from 20 concurrent clients against the same service three ways, in the same run, on
 * the same anvil: **open** (auth and limits off), **guarded** (an API key on every request, a
 * per-address and a per-key limit on, counters in memory) and **guarded, Redis** (the same, with
 * the counters on Redis, as several nodes share them). Every answer is checked: 200 with
 * `"isValid":true`, and never a 5xx. After each guarded batch, the limits are shown to hold: the
 * key's 2,001st request in the minute is answered 429 with `Retry-After`, and requests without a
 * key or with a revoked one 401.
 *
 *   node bench/operations/index.js [--rounds 5] [--requests 2000] [--clients 20] [--write]
 *   (or: node --import ./scripts/register-source.mjs bench/operations/run.ts …)
 *
 * Needs Redis on 127.0.0.1:6379 (TOLLGATE_BENCH_REDIS_URL to change it). `--write` replaces the
 * "## Operations" section of docs/benchmarks.md.
 */

import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import autocannon from 'autocannon'
import { devAccounts } from '../../test/chain/accounts.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'
import { signPaymentBodies } from '../shared/payments.ts'
import { serverUrls } from '../shared/servers.ts'

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    requests: { type: 'string', default: '2000' },
    clients: { type: 'string', default: '20' },
    write: { type: 'boolean', default: false },
  },
})
const rounds = Math.min(Number(values.rounds), 9)
const requests = Math.min(Number(values.requests), 20_000)
const clients = Math.min(Number(values.clients), 256)
const redisUrl = process.env.TOLLGATE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/operations/index.js'
  : 'node --import ./scripts/register-source.mjs bench/operations/run.ts'
const command = `${entry}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)

const targets = ['open', 'guarded', 'guardedRedis'] as const
type Target = (typeof targets)[number]
const guardedTargets = ['guarded', 'guardedRedis'] as const
const label: Record<Target, string> = {
  open: 'open (auth off, limits off)',
  guarded: 'guarded (API key, limits in memory)',
  guardedRedis: 'guarded (API key, limits on Redis)',
}

// ---------------------------------------------------------------------------------------------------
// Chain, keys, payments

const chain = await startLocalChain()
const stopAll: (() => Promise<unknown> | unknown)[] = [() => chain.stop()]
const cleanup = async () => {
  for (const stop of stopAll.reverse()) await stop()
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))

const dirs = {
  guarded: mkdtempSync(join(tmpdir(), 'tollgate-bench-guarded-')),
  guardedRedis: mkdtempSync(join(tmpdir(), 'tollgate-bench-redis-')),
}
stopAll.push(() => {
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true })
})

// Keys as an operator makes them: the CLI, into each node's data directory. One per batch (warmup
// included), since each batch spends a key's whole minute; one more to revoke.
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const run = promisify(execFile)
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_')))
async function keysCli(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, 'keys', ...args], {
    env: { ...cleanEnv, TOLLGATE_DATA_DIR: dir },
  })
  return stdout
}
const payTo = devAccounts.seller.address
const keys = {} as Record<(typeof guardedTargets)[number], { batches: string[]; revoked: string }>
for (const target of guardedTargets) {
  const create = async () =>
    JSON.parse(await keysCli(dirs[target], 'create', '--scopes', 'verify', '--pay-to', payTo, '--label', 'bench')) as {
      id: string
      key: string
    }
  const batches: string[] = []
  for (let i = 0; i <= rounds; i++) batches.push((await create()).key)
  const revoked = await create()
  await keysCli(dirs[target], 'revoke', revoked.id)
  keys[target] = { batches, revoked: revoked.key }
}

// A fresh set of payments per batch (batch 0 is the warmup): each verification reserves its
// authorization for the default 120 s, so no payment is verified twice on one node.
log(`signing ${(rounds + 1) * requests} payments…`)
const pools = Array.from({ length: rounds + 1 }, () => signPaymentBodies(chain, requests))

// ---------------------------------------------------------------------------------------------------
// The servers

const child = spawn(
  process.execPath,
  ['--conditions=@tollgate/source', '--import', 'tsx', join(import.meta.dirname, 'servers.ts')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      TOLLGATE_BENCH_RPC: chain.url,
      TOLLGATE_BENCH_GUARDED_DIR: dirs.guarded,
      TOLLGATE_BENCH_GUARDED_REDIS_DIR: dirs.guardedRedis,
      TOLLGATE_BENCH_REDIS_URL: redisUrl,
      TOLLGATE_BENCH_REDIS_PREFIX: `bench_${process.pid}`,
      TOLLGATE_BENCH_PER_KEY: String(requests),
      TOLLGATE_BENCH_PER_ADDRESS: '1000000',
    },
  },
)
const urls = await serverUrls<Target | 'cpu'>(child, stopAll)

// ---------------------------------------------------------------------------------------------------
// Load

type Cannon = (options: Record<string, unknown>, callback: (error: unknown, result: CannonResult) => void) => unknown
type CannonResult = { requests: { total: number }; latency: { p50: number; p99: number }; errors: number }
type Batch = { rps: number; p50: number; p99: number; cpuPerVerify: number; bad: number; serverErrors: number }

const cpuNow = async () => ((await (await fetch(`${urls.cpu}/__cpu`)).json()) as { cpu: number }).cpu

async function batch(target: Target, pool: string[], key: string | undefined): Promise<Batch> {
  let cursor = 0
  let bad = 0
  let serverErrors = 0
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (key) headers.authorization = `Bearer ${key}`
  const before = await cpuNow()
  // Timed from the first request sent to the last answer read: autocannon ends an `amount` run on
  // its one-second tick, so its own duration would round every batch up to whole seconds.
  let first: number | undefined
  let last = 0
  const result = await new Promise<CannonResult>((resolve, reject) => {
    ;(autocannon as unknown as Cannon)(
      {
        url: `${urls[target]}/verify`,
        connections: clients,
        amount: pool.length,
        pipelining: 1,
        requests: [
          {
            method: 'POST',
            path: '/verify',
            headers,
            setupRequest: (request: Record<string, unknown>) => {
              first ??= performance.now()
              return { ...request, body: pool[cursor++ % pool.length] }
            },
            onResponse: (status: number, body: string) => {
              last = performance.now()
              if (status >= 500) serverErrors++
              if (status !== 200 || !body.includes('"isValid":true')) bad++
            },
          },
        ],
      },
      (error, answer) => (error ? reject(error) : resolve(answer)),
    )
  })
  const seconds = (last - (first ?? last)) / 1000
  const cpuSeconds = ((await cpuNow()) - before) / 1e6
  return {
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerVerify: (cpuSeconds / result.requests.total) * 1e6,
    bad: bad + result.errors,
    serverErrors,
  }
}

/** One request to a guarded node: its status, Retry-After and error code. */
async function probe(target: Target, pool: string[], key: string | undefined) {
  const response = await fetch(`${urls[target]}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: pool[0] ?? '',
  })
  const body = (await response.json().catch(() => ({}))) as { error?: string; invalidReason?: string }
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    code: body.error ?? body.invalidReason,
  }
}

type Enforcement = { overLimit: boolean; noKey: boolean; revoked: boolean; detail: string }
async function enforced(target: (typeof guardedTargets)[number], pool: string[], key: string): Promise<Enforcement> {
  const over = await probe(target, pool, key)
  const none = await probe(target, pool, undefined)
  const revoked = await probe(target, pool, keys[target].revoked)
  return {
    overLimit: over.status === 429 && Number(over.retryAfter) > 0,
    noKey: none.status === 401,
    revoked: revoked.status === 401,
    detail: `over the limit ${over.status} ${over.code} Retry-After ${over.retryAfter}; no key ${none.status} ${none.code}; revoked key ${revoked.status} ${revoked.code}`,
  }
}

log(`warmup: ${requests} requests per target…`)
for (const target of targets) {
  const key = target === 'open' ? undefined : keys[target].batches[0]
  await batch(target, pools[0] as string[], key)
}

const loadBefore = loadavg()[0] as number
const results: Record<Target, Batch[]> = { open: [], guarded: [], guardedRedis: [] }
const enforcement: Enforcement[] = []
for (let round = 1; round <= rounds; round++) {
  // The order turns each round, so drift on a shared machine does not favour one target.
  const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target)
  for (const target of order) {
    const pool = pools[round] as string[]
    const key = target === 'open' ? undefined : keys[target].batches[round]
    const measured = await batch(target, pool, key)
    results[target].push(measured)
    let note = ''
    if (target !== 'open' && key) {
      const checked = await enforced(target, pool, key)
      enforcement.push(checked)
      note = `; ${checked.detail}`
    }
    log(
      `round ${round} ${target}: ${Math.round(measured.rps)} verifies/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, ` +
        `${Math.round(measured.cpuPerVerify)} µs CPU each, bad ${measured.bad}, 5xx ${measured.serverErrors}${note}`,
    )
  }
}
const loadAfter = loadavg()[0] as number
await cleanup()

// ---------------------------------------------------------------------------------------------------
// Report

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}
const summary = (target: Target) => ({
  rps: median(results[target].map((row) => row.rps)),
  p50: median(results[target].map((row) => row.p50)),
  p99: median(results[target].map((row) => row.p99)),
  cpu: median(results[target].map((row) => row.cpuPerVerify)),
  bad: results[target].reduce((sum, row) => sum + row.bad, 0),
  serverErrors: results[target].reduce((sum, row) => sum + row.serverErrors, 0),
})
const rows = Object.fromEntries(targets.map((target) => [target, summary(target)])) as Record<
  Target,
  ReturnType<typeof summary>
>
const ratios = (target: Target) =>
  results[target].map((row, i) => row.rps / (results.open[i] as Batch).rps).sort((a, b) => a - b)
const held = enforcement.every((check) => check.overLimit && check.noKey && check.revoked)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ')
const date = new Date().toISOString().slice(0, 10)
const cpu = cpus()[0]?.model ?? 'unknown CPU'
const delta = (µs: number) => `${fmt(Math.abs(µs))} µs ${µs >= 0 ? 'more' : 'less'}`
const percent = (ratio: number) => `${(ratio * 100).toFixed(0)} %`

const section = `## Operations: the cost of auth and rate limits

Batches of ${fmt(requests)} \`POST /verify\` requests (v2 \`exact\` EOA payments, each distinct) from ${clients} concurrent clients,
against the service (\`startFacilitator\`, SQLite ledger, native recovery, batched RPC) three ways in the same run, on
the same anvil: **open** (\`TOLLGATE_AUTH=off\`, rate limits off), **guarded** (\`TOLLGATE_AUTH=on\`, an API key made
by \`tollgate-facilitator keys create\` on every request, a per-address limit of 1 000 000/min and a per-key limit of
${fmt(requests)}/min, counters in memory) and **guarded, Redis** (the same, counters on Redis as several nodes share
them). Every answer is checked for 200 and \`"isValid":true\`. After each guarded batch the limits are probed: the key's
next request in the same minute, a request without a key and one with a revoked key.

Command (from the repository root; Redis on 127.0.0.1:6379):

\`\`\`sh
${command}
\`\`\`

The three nodes (one child process, \`bench/operations/servers.ts\`), anvil and autocannon 8.0.0 share the machine.
One warmup batch per node, then ${rounds} rounds, the order of the nodes turning each round; medians are reported, and the
ratios are taken batch by batch against the open batch of the same round.

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}, one-minute load average ${loadBefore.toFixed(1)} at the
start of the rounds and ${loadAfter.toFixed(1)} at the end:

| node | verifies/s | p50 ms | p99 ms | CPU µs per verify | bad answers | 5xx |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${targets.map((target) => `| ${label[target]} | ${fmt(rows[target].rps)} | ${rows[target].p50} | ${rows[target].p99} | ${fmt(rows[target].cpu)} | ${rows[target].bad} | ${rows[target].serverErrors} |`).join('\n')}

- Guarded / open throughput: **${percent(median(ratios('guarded')))}** with counters in memory (batches:
  ${ratios('guarded')
    .map(percent)
    .join(', ')}), **${percent(median(ratios('guardedRedis')))}** with counters on Redis (batches: ${ratios(
    'guardedRedis',
  )
    .map(percent)
    .join(', ')}).
- CPU per verification against open: ${delta(rows.guarded.cpu - rows.open.cpu)} with auth and limits in memory,
  ${delta(rows.guardedRedis.cpu - rows.open.cpu)} with counters on Redis (the node's own CPU; Redis's is not in it).
- Limits enforced after every one of the ${enforcement.length} guarded batches: ${held ? '**yes**' : '**NO**'} (${enforcement[0]?.detail ?? 'none'}).
- Throughput of one batch moves with whatever else the machine runs (the load average above); the CPU the node
  spends per verification is the steadier measure of what auth and limits add.
- 5xx answers in all: ${targets.reduce((sum, target) => sum + rows[target].serverErrors, 0)}.
`

process.stdout.write(`${section}\n`)
process.stdout.write(`${JSON.stringify({ rows, results, enforcement })}\n`)
if (values.write) {
  writeSection('## Operations', section)
  log('docs/benchmarks.md: ## Operations written')
}
if (!held || targets.some((target) => rows[target].serverErrors > 0 || rows[target].bad > 0)) process.exitCode = 1
