/**
 * Limits benchmark (issue 21, item 7): the facilitator's default limits against a busy honest seller,
 * and what counting by key costs.
 *
 * 1. **A busy seller.** One API key, one client address (loopback), at the default limits: a paid
 *    request every 20 ms for 30 s (50 a second, 1,500 in all, each a `POST /verify` then a
 *    `POST /settle` as a seller's middleware sends them, the buyers cycling over eight payers),
 *    open loop (the next one starts on time whatever the earlier ones do), against anvil mining a
 *    block every 2 s (no automine), as on Base. Every answer is counted by status: 429 and 5xx
 *    must be 0, and every settlement `success: true`; the seller's balance must grow by all of them.
 * 2. **The cost of the limits.** `POST /verify` throughput with the limits on (the defaults: an API
 *    key on every request, counted per key in memory) against limits off
 *    (`TOLLGATE_RATE_LIMIT_PER_MINUTE=0`, `TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE=0`, the same key), in
 *    the same run: batches of distinct pre-signed payments from concurrent clients, interleaved
 *    rounds, the order turning each round; a second limits-off node as a control shows the
 *    method's noise. Target: on / off >= 0.95.
 *
 *   node bench/limits/index.js [--rate 50] [--seconds 30] [--rounds 7] [--requests 3000] [--clients 32] [--write]
 *   (or: node --import ./scripts/register-source.mjs bench/limits/run.ts …)
 *
 * Bounded: the load is capped (rate <= 200/s, seconds <= 60, requests <= 20,000), every request
 * is on 127.0.0.1, the whole run stops itself after 15 minutes. `--write` replaces the
 * "## Limits" section of docs/benchmarks.md.
 */

import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import autocannon from 'autocannon'
import { devAccounts } from '../../test/chain/accounts.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'
import { signPaymentBodies } from '../shared/payments.ts'
import { serverUrls } from '../shared/servers.ts'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '7' },
    requests: { type: 'string', default: '3000' },
    clients: { type: 'string', default: '32' },
    write: { type: 'boolean', default: false },
  },
})
const rate = Math.min(Number(values.rate), 200)
const seconds = Math.min(Number(values.seconds), 60)
const rounds = Math.min(Number(values.rounds), 11)
const requests = Math.min(Number(values.requests), 20_000)
const clients = Math.min(Number(values.clients), 256)
const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/limits/index.js'
  : 'node --import ./scripts/register-source.mjs bench/limits/run.ts'
const command = `${entry}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)

const nodes = ['on', 'off', 'control'] as const
type Node = (typeof nodes)[number]
const label: Record<Node, string> = {
  on: 'limits on (defaults, per key, in memory)',
  off: 'limits off',
  control: 'limits off again (control)',
}

// ---------------------------------------------------------------------------------------------------
// Chain, keys, servers

const chain = await startLocalChain()
const stopAll: (() => Promise<unknown> | unknown)[] = [() => chain.stop()]
const cleanup = async () => {
  for (const stop of stopAll.reverse()) await stop()
  stopAll.length = 0
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))
const deadline = setTimeout(() => {
  log('bench/limits: over 15 minutes, stopping')
  void cleanup().then(() => process.exit(1))
}, 900_000)
deadline.unref()

const dirs = Object.fromEntries(
  nodes.map((node) => [node, mkdtempSync(join(tmpdir(), `tollgate-bench-${node}-`))]),
) as Record<Node, string>
stopAll.push(() => {
  for (const dir of Object.values(dirs)) rmSync(dir, { recursive: true, force: true })
})

// Keys as an operator makes them: the CLI, into each node's data directory.
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const run = promisify(execFile)
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_')))
const payTo = devAccounts.seller.address
async function createKey(dir: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [bin, 'keys', 'create', '--scopes', 'verify,settle', '--pay-to', payTo, '--label', 'bench'],
    { env: { ...cleanEnv, TOLLGATE_DATA_DIR: dir } },
  )
  return (JSON.parse(stdout) as { key: string }).key
}
const keys = Object.fromEntries(
  await Promise.all(nodes.map(async (node) => [node, await createKey(dirs[node])])),
) as Record<Node, string>
const sellerKey = await createKey(dirs.on)

const paidCount = rate * seconds
log(`signing ${paidCount + (rounds + 1) * requests} payments…`)
const paid = signPaymentBodies(chain, paidCount)
const pools = Array.from({ length: rounds + 1 }, () => signPaymentBodies(chain, requests))

const child = spawn(
  process.execPath,
  ['--conditions=@tollgate/source', '--import', 'tsx', join(import.meta.dirname, 'servers.ts')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...cleanEnv,
      NODE_ENV: 'production',
      TOLLGATE_BENCH_RPC: chain.url,
      TOLLGATE_BENCH_ON_DIR: dirs.on,
      TOLLGATE_BENCH_OFF_DIR: dirs.off,
      TOLLGATE_BENCH_CONTROL_DIR: dirs.control,
    },
  },
)
const urls = await serverUrls<Node | 'stats'>(child, stopAll)
const stat = async <T>(path: string) => (await (await fetch(`${urls.stats}${path}`)).json()) as T

// ---------------------------------------------------------------------------------------------------
// 2. The cost of the limits (first: on automine, before the interval blocks of part 1)

type Cannon = (options: Record<string, unknown>, callback: (error: unknown, result: CannonResult) => void) => unknown
type CannonResult = { requests: { total: number }; latency: { p50: number; p99: number }; errors: number }
type Batch = {
  rps: number
  p50: number
  p99: number
  cpuPerVerify: number
  bad: number
  limited: number
  serverErrors: number
}

async function batch(node: Node, pool: string[]): Promise<Batch> {
  let cursor = 0
  let bad = 0
  let limited = 0
  let serverErrors = 0
  const before = (await stat<{ cpu: number }>('/__cpu')).cpu
  let first: number | undefined
  let last = 0
  const result = await new Promise<CannonResult>((resolve, reject) => {
    ;(autocannon as unknown as Cannon)(
      {
        url: `${urls[node]}/verify`,
        connections: clients,
        amount: pool.length,
        pipelining: 1,
        requests: [
          {
            method: 'POST',
            path: '/verify',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[node]}` },
            setupRequest: (request: Record<string, unknown>) => {
              first ??= performance.now()
              return { ...request, body: pool[cursor++ % pool.length] }
            },
            onResponse: (status: number, body: string) => {
              last = performance.now()
              if (status === 429) limited++
              if (status >= 500) serverErrors++
              if (status !== 200 || !body.includes('"isValid":true')) bad++
            },
          },
        ],
      },
      (error, answer) => (error ? reject(error) : resolve(answer)),
    )
  })
  const elapsed = (last - (first ?? last)) / 1000
  const cpuSeconds = ((await stat<{ cpu: number }>('/__cpu')).cpu - before) / 1e6
  return {
    rps: result.requests.total / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerVerify: (cpuSeconds / result.requests.total) * 1e6,
    bad: bad + result.errors,
    limited,
    serverErrors,
  }
}

log(`warmup: ${requests} verifications per node…`)
for (const node of nodes) await batch(node, pools[0] as string[])
const loadBefore = loadavg()[0] as number
const results: Record<Node, Batch[]> = { on: [], off: [], control: [] }
for (let round = 1; round <= rounds; round++) {
  // The order turns each round, so drift on a shared machine does not favour one node.
  const order = nodes.map((_, i) => nodes[(i + round) % nodes.length] as Node)
  for (const node of order) {
    const measured = await batch(node, pools[round] as string[])
    results[node].push(measured)
    log(
      `round ${round} ${node}: ${Math.round(measured.rps)} verifies/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, ` +
        `${Math.round(measured.cpuPerVerify)} µs CPU each, bad ${measured.bad}, 429 ${measured.limited}, 5xx ${measured.serverErrors}`,
    )
  }
}
const loadAfterVerify = loadavg()[0] as number

// ---------------------------------------------------------------------------------------------------
// 1. A busy seller, at the default limits, against 2 s interval blocks

await chain.testClient.setAutomine(false)
await chain.testClient.setIntervalMining({ interval: 2 })
const sellerBefore = await chain.balanceOf(payTo)
await stat('/__queue') // reset the samples
type Paid = { verify: number; settle: number | undefined; success: boolean; reason: string; ms: number }

async function paidRequest(body: string): Promise<Paid> {
  const started = performance.now()
  const send = (path: string) =>
    fetch(`${urls.on}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sellerKey}` },
      body,
      signal: AbortSignal.timeout(90_000),
    })
  try {
    const verified = await send('/verify')
    const verdict = (await verified.json()) as { isValid?: boolean; invalidReason?: string; error?: string }
    if (verified.status !== 200 || verdict.isValid !== true) {
      const reason = verdict.invalidReason ?? verdict.error ?? 'unknown'
      return { verify: verified.status, settle: undefined, success: false, reason, ms: performance.now() - started }
    }
    const settled = await send('/settle')
    const outcome = (await settled.json()) as { success?: boolean; errorReason?: string; error?: string }
    return {
      verify: verified.status,
      settle: settled.status,
      success: settled.status === 200 && outcome.success === true,
      reason: outcome.errorReason ?? outcome.error ?? '',
      ms: performance.now() - started,
    }
  } catch (error) {
    return { verify: 0, settle: undefined, success: false, reason: String(error), ms: performance.now() - started }
  }
}

log(`busy seller: ${rate} paid requests a second for ${seconds} s, one key, one address…`)
const interval = 1000 / rate
const sent: Promise<Paid>[] = []
const startedAt = performance.now()
for (let i = 0; i < paidCount; i++) {
  const wait = startedAt + i * interval - performance.now()
  if (wait > 0) await sleep(wait)
  sent.push(paidRequest(paid[i] as string))
}
const sendingSeconds = (performance.now() - startedAt) / 1000
const answers = await Promise.all(sent)
const totalSeconds = (performance.now() - startedAt) / 1000
const queue = await stat<{ waiting: number; inFlight: number }>('/__queue')
// The last settlements' blocks: wait for the balance (bounded) rather than for the receipts' polls.
const expected = sellerBefore + BigInt(answers.filter((answer) => answer.success).length) * 1000n
let sellerAfter = await chain.balanceOf(payTo)
for (let i = 0; i < 20 && sellerAfter < expected; i++) {
  await sleep(500)
  sellerAfter = await chain.balanceOf(payTo)
}
const loadAfter = loadavg()[0] as number
await cleanup()
clearTimeout(deadline)

// ---------------------------------------------------------------------------------------------------
// Report

const statuses = answers.flatMap((answer) =>
  answer.settle === undefined ? [answer.verify] : [answer.verify, answer.settle],
)
const count = (predicate: (status: number) => boolean) => statuses.filter(predicate).length
const tooMany = count((status) => status === 429)
const serverErrors = count((status) => status >= 500 || status === 0)
const settledOk = answers.filter((answer) => answer.success).length
const reasons = Object.entries(
  answers
    .filter((answer) => !answer.success)
    .reduce<Record<string, number>>((tally, answer) => {
      tally[answer.reason] = (tally[answer.reason] ?? 0) + 1
      return tally
    }, {}),
)
const latencies = answers.map((answer) => answer.ms).sort((a, b) => a - b)
const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0
const paidPerSecond = paidCount / sendingSeconds
const balanceOk = sellerAfter - sellerBefore === BigInt(paidCount) * 1000n

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}
const summary = (node: Node) => ({
  rps: median(results[node].map((row) => row.rps)),
  p50: median(results[node].map((row) => row.p50)),
  p99: median(results[node].map((row) => row.p99)),
  cpu: median(results[node].map((row) => row.cpuPerVerify)),
  bad: results[node].reduce((sum, row) => sum + row.bad, 0),
  limited: results[node].reduce((sum, row) => sum + row.limited, 0),
  serverErrors: results[node].reduce((sum, row) => sum + row.serverErrors, 0),
})
const rows = Object.fromEntries(nodes.map((node) => [node, summary(node)])) as Record<Node, ReturnType<typeof summary>>
/** Round by round, `node` over off: throughput, and verifies per CPU-second (the inverse of CPU per verify). */
const ratios = (node: Node, of: (row: Batch) => number) =>
  results[node].map((row, i) => of(row) / of(results.off[i] as Batch))
const throughput = (node: Node) => ratios(node, (row) => row.rps)
const perCpu = (node: Node) => ratios(node, (row) => 1 / row.cpuPerVerify)
const spread = (list: number[]) => `${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)}`
const onRatio = median(throughput('on'))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ')
const date = new Date().toISOString().slice(0, 10)
const cpu = cpus()[0]?.model ?? 'unknown CPU'
const sellerOk = tooMany === 0 && serverErrors === 0 && settledOk === paidCount && balanceOk
const costOk = onRatio >= 0.95 && nodes.every((node) => rows[node].bad === 0)

const section = `## Limits: a busy seller at the defaults, and what counting by key costs

Issue 21, item 7: authenticated requests count per API key only (600 000 a minute by default), requests before
authentication per address (600 a minute); a payer past 16 settlements in flight waits its turn (bounded) instead of
being refused. Both parts run in one command, against \`startFacilitator\` nodes in one child process
(\`bench/limits/servers.ts\`: SQLite ledger, native recovery, batched RPC, API keys made by
\`tollgate-facilitator keys create\`), on one anvil, all on 127.0.0.1:

\`\`\`sh
${command}
\`\`\`

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}, one-minute load average ${loadBefore.toFixed(1)} before the
verify rounds, ${loadAfterVerify.toFixed(1)} after them and ${loadAfter.toFixed(1)} at the end.

**A busy seller, one API key behind one address, at the default limits** (no limit variable set): a paid request
every ${interval} ms for ${seconds} s (${fmt(paidCount)} in all, open loop), each a \`POST /verify\` then a \`POST /settle\` with the
key, as the seller's middleware sends them, buyers cycling over eight payers; anvil mines a block every 2 s (no
automine), as on Base.

| paid requests | sent over | per second | 429 | 5xx | settled \`success: true\` | not settled | seller paid for all | p50 ms | p99 ms | most waiting / in flight per payer |
| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |
| ${fmt(paidCount)} | ${sendingSeconds.toFixed(1)} s | ${paidPerSecond.toFixed(1)} | **${tooMany}** | **${serverErrors}** | ${fmt(settledOk)} | ${paidCount - settledOk}${reasons.length ? ` (${reasons.map(([reason, n]) => `${reason}: ${n}`).join(', ')})` : ''} | ${balanceOk ? 'yes' : 'NO'} | ${fmt(quantile(0.5))} | ${fmt(quantile(0.99))} | ${queue.waiting} / ${queue.inFlight} |

The ${fmt(2 * paidCount)} requests of one key from one address in ${totalSeconds.toFixed(0)} s are ${fmt((2 * paidCount * 60) / totalSeconds)} a minute: past the
old per-address limit (600 a minute, counting authenticated requests too), and far below the key's 600 000.
Latency is the pair's, from the \`/verify\` sent to the \`/settle\` answered (a settlement waits for its block).

**\`POST /verify\` with the limits on against off**: batches of ${fmt(requests)} distinct pre-signed payments (v2 \`exact\`,
EOA) from ${clients} concurrent clients (autocannon 8.0.0, no pipelining), each node with its own API key on every
request: **on** has the default limits (each request counted against its key, in memory), **off** has
\`TOLLGATE_RATE_LIMIT_PER_MINUTE=0\` and \`TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE=0\`, **control** is off again (what the
method reads for no change). One warmup batch per node, then ${rounds} rounds, the order turning each round; medians,
ratios taken round by round against off. Every answer is checked for 200 and \`"isValid":true\`.

| node | verifies/s | p50 ms | p99 ms | CPU µs per verify | bad answers | 429 | 5xx |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${nodes.map((node) => `| ${label[node]} | ${fmt(rows[node].rps)} | ${rows[node].p50} | ${rows[node].p99} | ${fmt(rows[node].cpu)} | ${rows[node].bad} | ${rows[node].limited} | ${rows[node].serverErrors} |`).join('\n')}

- On / off throughput: **${onRatio.toFixed(2)}×** (rounds ${spread(throughput('on'))}; target ≥ 0.95); verifies per CPU-second
  ${median(perCpu('on')).toFixed(2)}× (${spread(perCpu('on'))}).
- Control / off (the method's noise): throughput ${median(throughput('control')).toFixed(2)}× (${spread(throughput('control'))}), per
  CPU-second ${median(perCpu('control')).toFixed(2)}× (${spread(perCpu('control'))}).
- Busy seller: ${sellerOk ? '**no 429, no 5xx, every payment settled**' : '**FAILED**'}; limits cost: ${costOk ? '**within target**' : '**below target**'}.
`

process.stdout.write(`${section}\n`)
process.stdout.write(
  `${JSON.stringify({ rows, results, seller: { tooMany, serverErrors, settledOk, reasons, queue } })}\n`,
)
if (values.write) {
  writeSection('## Limits', section)
  log('docs/benchmarks.md: ## Limits written')
}
if (!sellerOk || !costOk) process.exitCode = 1
