/**
 * Middleware benchmark: requests per second of the unpaid 402 path of @tollgate/hono, against the
 * same app's unprotected route and against @x402/hono 2.27.0 guarding the same route, in one run.
 *
 *   npx tsx --conditions=@tollgate/source bench/middleware/run.ts [--duration 5] [--warmup 2] [--rounds 3] [--connections 32]
 *
 * The servers run in a child process (servers.ts); autocannon runs here, so on a 2-core machine
 * each gets a core. Targets are measured in interleaved rounds and the median round is reported.
 * Every request is checked: a 402 with PAYMENT-REQUIRED for the guarded routes, a 200 for the free one.
 * Bounded: rounds × targets × (warmup + duration) seconds, 90 s by default.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
  },
})
const duration = Math.min(Number(values.duration), 30)
const warmup = Math.min(Number(values.warmup), 10)
const rounds = Math.min(Number(values.rounds), 5)
const connections = Math.min(Number(values.connections), 256)

type Result = { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }

function cannon(url: string, seconds: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1 }, (error: unknown, result: Result) =>
      error ? reject(error) : resolve(result),
    )
  })
}

const child = spawn(
  process.execPath,
  ['--conditions=@tollgate/source', '--import', 'tsx', join(import.meta.dirname, 'servers.ts')],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  },
)
const stopChild = () => {
  if (child.exitCode === null) child.kill('SIGTERM')
}
process.once('SIGINT', () => {
  stopChild()
  process.exit(130)
})

try {
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string]
  const urls = JSON.parse(line) as { ours: string; official: string }
  const targets = [
    { name: 'unprotected route (same app)', url: `${urls.ours}/health`, status: 200 },
    { name: '@tollgate/hono 402', url: `${urls.ours}/weather`, status: 402 },
    { name: '@x402/hono 2.27.0 402', url: `${urls.official}/weather`, status: 402 },
  ]
  for (const target of targets) {
    const res = await fetch(target.url)
    if (res.status !== target.status) throw new Error(`${target.name}: expected ${target.status}, got ${res.status}`)
    if (target.status === 402 && !res.headers.get('payment-required')) throw new Error(`${target.name}: no quote`)
  }

  const samples = new Map<string, Result[]>(targets.map((t) => [t.name, []]))
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      await cannon(target.url, warmup)
      const result = await cannon(target.url, duration)
      const expectedNon2xx = target.status === 402
      if (result.errors > 0 || (expectedNon2xx ? result.non2xx === 0 : result.non2xx > 0)) {
        throw new Error(`${target.name}: ${result.errors} errors, ${result.non2xx} non-2xx`)
      }
      samples.get(target.name)?.push(result)
      console.error(`round ${round} ${target.name}: ${Math.round(result.requests.average)} req/s`)
    }
  }

  const median = (results: Result[]) =>
    [...results].sort((a, b) => a.requests.average - b.requests.average)[Math.floor(results.length / 2)] as Result
  const rows = targets.map((target) => ({ ...target, result: median(samples.get(target.name) ?? []) }))
  const rps = (i: number) => rows[i]?.result.requests.average ?? 0
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}`)
  console.log(
    `autocannon: ${connections} connections, ${rounds} interleaved rounds of ${warmup} s warmup + ${duration} s, median round\n`,
  )
  console.log('| target | req/s | p50 ms | p99 ms |')
  console.log('| --- | ---: | ---: | ---: |')
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${Math.round(row.result.requests.average)} | ${row.result.latency.p50} | ${row.result.latency.p99} |`,
    )
  }
  console.log(`\n402 path / unprotected route: ${(rps(1) / rps(0)).toFixed(2)} (target >= 0.90)`)
  console.log(`@tollgate/hono / @x402/hono: ${(rps(1) / rps(2)).toFixed(2)}x (target >= 2x)`)
} finally {
  stopChild()
}
