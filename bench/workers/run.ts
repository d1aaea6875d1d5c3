/**
 * The facilitator on Workers against the Node service, on one machine and one anvil: `/verify` and `/settle`
 * throughput over HTTP of the facilitator Worker (`apps/facilitator-worker` in Miniflare 4: pure-JS signature recovery
 * in workerd, the ledger in Durable Objects on SQLite) beside the Node service (`apps/facilitator`: native recovery,
 * SQLite ledger), and the Worker's bundle size as `wrangler deploy --dry-run` reports it.
 *
 *   node bench/workers/index.js [--verify 600] [--settle 200] [--rounds 3] [--concurrency 32] [--write]
 *
 * Verify: rounds interleaved (Node, then Worker), each on fresh distinct payments, every answer `isValid: true`;
 * the median round is reported. Settle: all payments sent at once, the clock stops when every answer is
 * `success: true`. The two settle from different dev accounts (#0 and #1), so neither sees the other's nonces.
 * `--write` replaces the "## Facilitator on Workers" section of docs/benchmarks.md.
 */
import { execFile } from 'node:child_process'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { jsRecoverAddress } from '@tollgate/evm'
import { hexToBytes, keccak256, parseSignature, toHex } from 'viem'
import { sign } from 'viem/accounts'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { devPrivateKeys } from '../../test/chain/accounts.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { startTestFacilitator } from '../../test/hono/facilitators.ts'
import { startWorker } from '../../test/hono/worker.ts'
import { makePayments, type Payment, pool } from '../../test/recovery/payments.ts'
import { facilitatorWorkerBindings, startFacilitatorWorker } from '../../test/workers/facilitatorWorker.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'

const { values } = parseArgs({
  options: {
    verify: { type: 'string', default: '600' },
    settle: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '32' },
    write: { type: 'boolean', default: false },
  },
})
const verifyCount = Math.min(Number(values.verify), 4_000)
const settleCount = Math.min(Number(values.settle), 1_000)
const rounds = Math.min(Number(values.rounds), 9)
const concurrency = Math.min(Number(values.concurrency), 128)
const command = `node bench/workers/index.js${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)
const root = join(import.meta.dirname, '..', '..')

type Target = { name: string; url: string; apiKey: string }
type Round = { perSecond: number; p50: number; p99: number; bad: number }

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

async function post(target: Target, path: string, payment: Payment) {
  const res = await fetch(`${target.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
    body: JSON.stringify(payment.body),
  })
  return (await res.json()) as { isValid?: boolean; success?: boolean }
}

async function verifyRound(target: Target, payments: Payment[]): Promise<Round> {
  const latencies: number[] = []
  let bad = 0
  const started = performance.now()
  await pool(payments, concurrency, async (payment) => {
    const at = performance.now()
    const answer = await post(target, '/verify', payment)
    latencies.push(performance.now() - at)
    if (answer.isValid !== true) bad++
  })
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    perSecond: payments.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    bad,
  }
}

async function settleAll(target: Target, payments: Payment[]) {
  const started = performance.now()
  const answers = await Promise.all(payments.map((payment) => post(target, '/settle', payment)))
  const seconds = (performance.now() - started) / 1000
  return { seconds, perSecond: payments.length / seconds, bad: answers.filter((a) => a.success !== true).length }
}

/** `wrangler deploy --dry-run` of the facilitator Worker: its "Total Upload" line, unminified and minified. */
function dryRun(minify: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npx',
      [
        'wrangler',
        'deploy',
        '--dry-run',
        '--outdir',
        join(root, 'apps/facilitator-worker/dist'),
        ...(minify ? ['--minify'] : []),
      ],
      {
        cwd: join(root, 'apps/facilitator-worker'),
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          WRANGLER_SEND_ERROR_REPORTS: 'false',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        },
      },
      (error, stdout) => {
        if (error) return reject(error)
        const line = /Total Upload: ([\d.]+ KiB) \/ gzip: ([\d.]+ KiB)/.exec(stdout)
        resolve(line ? `${line[1]} | ${line[2]}` : 'n/a | n/a')
      },
    )
  })
}

/** Recoveries per second on one core: native in Node (the service's), viem in Node, viem inside workerd (the Worker's). */
async function recoveries(n: number) {
  const digest = keccak256(toHex('tollgate recovery bench'))
  const signature = await sign({ hash: digest, privateKey: devPrivateKeys[2] as `0x${string}`, to: 'hex' })
  const { r, s, yParity } = parseSignature(signature)
  const compact = `${r}${s.slice(2)}` as `0x${string}`
  const bit = (yParity ?? 0) as 0 | 1
  const time = async (recover: typeof jsRecoverAddress) => {
    const [hash, sig] = [hexToBytes(digest), hexToBytes(compact)]
    const started = performance.now()
    for (let i = 0; i < n; i++) await recover(hash, sig, bit)
    return n / ((performance.now() - started) / 1000)
  }
  // The native one's cache off: the same signature again would otherwise be a lookup.
  const native = await time(createNativeRecover({ cacheSize: 0 }))
  const nodeJs = await time(jsRecoverAddress)
  const worker = await startWorker(join(import.meta.dirname, 'recoverWorker.ts'), {})
  try {
    const ask = async (count: number) =>
      (await (
        await fetch(worker.url, { method: 'POST', body: JSON.stringify({ digest, signature: compact, bit, n: count }) })
      ).json()) as { ms: number }
    await ask(200)
    const { ms } = await ask(n)
    return { native, nodeJs, workerd: n / (ms / 1000) }
  } finally {
    await worker.stop()
  }
}

const median = (rounds: Round[], key: keyof Round) => {
  const sorted = rounds.map((round) => round[key]).sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

const recovery = await recoveries(2_000)
log(
  `recoveries/s: native ${recovery.native.toFixed(0)}, viem in Node ${recovery.nodeJs.toFixed(0)}, viem in workerd ${recovery.workerd.toFixed(0)}`,
)
const chain = await startLocalChain()
const stops: (() => Promise<void>)[] = [() => chain.stop()]
const deadline = setTimeout(() => {
  log('bench/workers: over 10 minutes, stopping')
  process.exit(1)
}, 600_000)
try {
  const node = await startTestFacilitator(chain, 'tollgate')
  stops.unshift(() => node.stop())
  const bindings = await facilitatorWorkerBindings(chain)
  const worker = await startFacilitatorWorker({ ...bindings, TOLLGATE_SIGNER_KEY: devPrivateKeys[1] })
  stops.unshift(() => worker.stop())
  const targets: Target[] = [
    { name: 'Node service (`apps/facilitator`, native recovery, SQLite)', url: node.url, apiKey: node.apiKey ?? '' },
    {
      name: 'Worker (`apps/facilitator-worker`, Miniflare, viem recovery, Durable Objects)',
      url: worker.url,
      apiKey: bindings.TOLLGATE_API_KEYS,
    },
  ]
  // Warm both (the Worker builds its facilitator object on the first request).
  for (const target of targets) await verifyRound(target, await makePayments(chain, 20))
  const verifyRounds = new Map<string, Round[]>(targets.map((target) => [target.name, []]))
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const result = await verifyRound(target, await makePayments(chain, verifyCount))
      verifyRounds.get(target.name)?.push(result)
      log(`verify ${target.name}: ${result.perSecond.toFixed(0)}/s p50 ${result.p50.toFixed(0)} ms bad ${result.bad}`)
    }
  }
  const settles = []
  for (const target of targets) {
    const result = await settleAll(target, await makePayments(chain, settleCount))
    settles.push({ name: target.name, ...result })
    log(`settle ${target.name}: ${result.perSecond.toFixed(1)}/s in ${result.seconds.toFixed(1)} s bad ${result.bad}`)
  }
  const [unminified, minified] = [await dryRun(false), await dryRun(true)]
  const [nodeVerify, workerVerify] = targets.map((target) => median(verifyRounds.get(target.name) ?? [], 'perSecond'))
  const date = new Date().toISOString().slice(0, 10)
  const section = `## Facilitator on Workers

\`${command}\` (${date}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}).

The facilitator Worker (\`apps/facilitator-worker\`, in Miniflare 4 / workerd: viem's pure-JS signature recovery, no
native module; the ledger in Durable Objects on SQLite, sharded by payer; one facilitator object owning the signer)
beside the Node service (\`apps/facilitator\` in this process: native libsecp256k1 recovery, SQLite ledger), over HTTP
on loopback, on one anvil (1 s blocks, mixed mining), the load generator in this process. Verify: ${rounds} interleaved
rounds of ${verifyCount} fresh payments at ${concurrency} concurrent requests, median round; every answer checked.
Settle: ${settleCount} payments sent at once, until every answer is \`success: true\`. workerd runs every object of the
Worker in one process here; deployed, the front Worker and each object have their own isolate. The Node service runs
in the bench process beside the load generator, with the test configuration (sanctions screening on), so its figure is
below the one in "Verify" (a child process driven by autocannon): compare the rows of one run. Other work on the
machine moves absolute figures by tens of percent.

| target | verifies/s | p50 ms | p99 ms | bad answers |
| --- | ---: | ---: | ---: | ---: |
${targets
  .map((target) => {
    const list = verifyRounds.get(target.name) ?? []
    return `| ${target.name} | ${median(list, 'perSecond').toFixed(0)} | ${median(list, 'p50').toFixed(0)} | ${median(list, 'p99').toFixed(0)} | ${list.reduce((n, r) => n + r.bad, 0)} |`
  })
  .join('\n')}

Worker / Node verify throughput: **${((workerVerify ?? 0) / (nodeVerify ?? 1)).toFixed(2)}×**.

| target | payments | seconds | settlements/s | bad answers |
| --- | ---: | ---: | ---: | ---: |
${settles.map((s) => `| ${s.name} | ${settleCount} | ${s.seconds.toFixed(1)} | ${s.perSecond.toFixed(1)} | ${s.bad} |`).join('\n')}

Signature recovery, one core, the same signature ${(2_000).toLocaleString('en')} times (the native one's cache off):

| recovery | recoveries/s | µs each |
| --- | ---: | ---: |
| native libsecp256k1 in Node (the service's \`createNativeRecover\`) | ${recovery.native.toFixed(0)} | ${(1e6 / recovery.native).toFixed(0)} |
| viem in Node (\`jsRecoverAddress\`) | ${recovery.nodeJs.toFixed(0)} | ${(1e6 / recovery.nodeJs).toFixed(0)} |
| viem in workerd (\`jsRecoverAddress\`: the Worker's, no native module) | ${recovery.workerd.toFixed(0)} | ${(1e6 / recovery.workerd).toFixed(0)} |

Reading: recovery without a native module costs the Worker about 14 times the native recovery's CPU per verification,
which caps one facilitator object at several hundred verifies per second; the measured throughput is well below
that, so the per-request cost is elsewhere (the front Worker to object hop, the ledger shard's RPC, the batched chain
read, all on one workerd thread that shares two cores with anvil and the load generator here). Not profiled yet.
Deployed, verifying in the stateless front Worker (the guide's next step) would spread recovery over isolates.
Settling runs through the one facilitator object, each signed transaction journaled in the signer's object first.

Bundle (\`npx wrangler deploy --dry-run --outdir dist\` in \`apps/facilitator-worker\`, wrangler 4.86.0, from source):

| bundle | total | gzip |
| --- | ---: | ---: |
| unminified | ${unminified} |
| \`--minify\` | ${minified} |
`
  log(section)
  if (values.write) writeSection('## Facilitator on Workers', section)
} finally {
  clearTimeout(deadline)
  for (const stop of stops) await stop().catch(() => undefined)
}
