/**
 * Latency benchmark: what a buyer feels. The official v2 client (`@x402/fetch` + `@x402/evm` exact)
 * pays `GET /weather` one request at a time, each started at a random point of the block interval,
 * and the clock runs from the first request (answered 402) to the paid 200 in hand. On anvil with
 * interval mining only (a transaction waits for its block, as on Base), at 2 s blocks (Base) and
 * 0.2 s blocks (Base's Flashblocks interval), one fresh chain per block time. Targets, on the same
 * chain and interleaved:
 *
 * - `tollgate`: `@tollgate/hono` + Tollgate's facilitator service at its defaults (stacks.ts);
 * - `tollgate-optimistic` (with `--route-mode optimistic`): the same with the route option
 *   `delivery: 'optimistic'`, when `@tollgate/hono` has it (otherwise reported and skipped);
 * - `official-1000` and `official-250`: `@x402/hono` + the official facilitator, viem polling
 *   receipts every 1,000 ms (viem's default for Base) and every 250 ms;
 * - `tollgate-NAME` (with `--against NAME=DIR`): the `tollgate` stack (settled route) from checkout
 *   DIR's own code, e.g. the code before a change (`bash bench/shared/checkout.sh DIR COMMIT`), in a
 *   child process (checkoutStack.ts), its facilitator configured as `tollgate`'s but settling from a
 *   fresh funded key of its own.
 *
 * The chain runs at anvil's own fees and every Tollgate stack with its gas policy off (`latencyEnv`):
 * no $0.001 payment pays for a transaction at 1 gwei, and the figures are about time.
 *
 *   node bench/latency/index.js [--payments 40] [--block-times 2,0.2] [--route-mode settled]…
 *     [--tollgate-env KEY=VALUE]… [--against NAME=DIR]… [--targets tollgate,official-1000,official-250]
 *     [--max-minutes 30] [--samples FILE] [--write]
 *   (or: node --import ./scripts/register-source.mjs bench/latency/run.ts …)
 *
 * `--payments` is per target per block time, after one unmeasured warm-up payment per target; payers
 * rotate over dev accounts #2–#9. `--tollgate-env` adds to the Tollgate facilitator's configuration
 * (e.g. a faster settlement signal), `tollgate-NAME`'s as well; `--route-mode` may be given more than
 * once. `--targets` picks targets by name (default: all). Every payment is
 * checked on chain afterwards: each target's seller (a fresh address) holds exactly the price times
 * the payments answered 200. `--samples` writes every round trip (ms, in order) as JSON. `--write`
 * replaces the "## Latency" section of docs/benchmarks.md (only when nothing failed).
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type Address, type Hex, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { type LocalChain, startLocalChain } from '../../test/chain/localChain.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'
import {
  priceAtomic,
  type RouteMode,
  type Stack,
  startCheckoutStack,
  startOfficialStack,
  startTollgateStack,
  supportsDelivery,
} from './stacks.ts'
import { checkTable, latencyTable, type OnChainCheck, ratioTable, type Summary, summarize } from './summary.ts'
import { buyer, timedPayment } from './timedPayment.ts'

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '40' },
    'block-times': { type: 'string', default: '2,0.2' },
    'route-mode': { type: 'string', multiple: true, default: ['settled'] },
    'tollgate-env': { type: 'string', multiple: true, default: [] },
    against: { type: 'string', multiple: true, default: [] },
    targets: { type: 'string' },
    'max-minutes': { type: 'string', default: '30' },
    samples: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
})

function usage(message: string): never {
  process.stderr.write(`bench/latency: ${message}\n`)
  process.exit(2)
}
const payments = Number(values.payments)
if (!Number.isInteger(payments) || payments < 1 || payments > 500) usage('--payments must be an integer from 1 to 500')
const blockTimes = values['block-times'].split(',').map(Number)
if (blockTimes.some((b) => !(b >= 0.1 && b <= 12))) usage('--block-times must be seconds from 0.1 to 12, e.g. 2,0.2')
const routeModes = [...new Set(values['route-mode'])]
for (const mode of routeModes) {
  if (mode !== 'settled' && mode !== 'optimistic') usage(`--route-mode must be settled or optimistic, not ${mode}`)
}
const tollgateEnv: Record<string, string> = {}
for (const pair of values['tollgate-env']) {
  const match = /^(TOLLGATE_[A-Z0-9_]+)=(.*)$/.exec(pair)
  if (!match) usage(`--tollgate-env takes TOLLGATE_NAME=value, not ${pair}`)
  tollgateEnv[match[1] as string] = match[2] as string
}
const against = values.against.map((spec) => {
  const match = /^([\w-]+)=(.+)$/.exec(spec)
  if (!match) usage(`--against takes NAME=DIR, not ${spec}`)
  if (match[1] === 'optimistic') usage('--against NAME=DIR: NAME optimistic is taken by tollgate-optimistic')
  const dir = resolve(match[2] as string)
  const commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  return { name: match[1] as string, dir, commit }
})
const maxMinutes = Number(values['max-minutes'])
if (!(maxMinutes > 0 && maxMinutes <= 240)) usage('--max-minutes must be from 1 to 240')
/** How long one paid request may take before it counts as failed. */
const paymentTimeoutMs = 60_000

const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/latency/index.js'
  : 'node --import ./scripts/register-source.mjs bench/latency/run.ts'
/** A value that must not be printed (keys, secrets, RPC URLs) shows as `…`. */
const shown = (name: string, value: string) => (/KEY|SECRET|TOKEN|PASSWORD|URL/.test(name) ? '…' : value)
const args = process.argv
  .slice(2)
  .map((arg) => arg.replace(/(TOLLGATE_[A-Z0-9_]+)=(.*)$/, (_, name, value) => `${name}=${shown(name, value)}`))
const command = `${entry}${args.length ? ` ${args.join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)

// ---------------------------------------------------------------------------------------------------
// Targets

type Target = { name: string; start(chain: LocalChain, payTo: Address): Promise<Stack> }
const skipped: string[] = []
const all: Target[] = []
for (const mode of routeModes as RouteMode[]) {
  const name = mode === 'settled' ? 'tollgate' : `tollgate-${mode}`
  if (mode !== 'settled' && !supportsDelivery()) {
    skipped.push(`\`${name}\`: \`@tollgate/hono\` has no route option \`delivery\` yet (unsupported, skipped)`)
    continue
  }
  all.push({ name, start: (chain, payTo) => startTollgateStack(chain, { payTo, mode, env: tollgateEnv }) })
}
for (const { name, dir } of against) {
  all.push({
    name: `tollgate-${name}`,
    start: (chain, payTo) => startCheckoutStack(chain, { dir, payTo, env: tollgateEnv, log }),
  })
}
for (const pollingInterval of [1_000, 250]) {
  all.push({
    name: `official-${pollingInterval}`,
    start: async (chain, payTo) => {
      // Its own funded key: nothing else sends from it, so its nonces are its own.
      const account = privateKeyToAccount(generatePrivateKey())
      await chain.testClient.setBalance({ address: account.address, value: parseEther('100') })
      return startOfficialStack(chain, { payTo, account, pollingInterval })
    },
  })
}
const wanted = values.targets?.split(',').map((name) => name.trim())
for (const name of wanted ?? []) {
  if (!all.some((target) => target.name === name) && !skipped.some((line) => line.startsWith(`\`${name}\``))) {
    usage(`unknown target ${name}; known: ${all.map((target) => target.name).join(', ')}`)
  }
}
const targets = wanted ? all.filter((target) => wanted.includes(target.name)) : all
for (const line of skipped) log(line.replaceAll('`', ''))
if (targets.length === 0) usage('no target to measure')

// ---------------------------------------------------------------------------------------------------
// Everything started is stopped: at the end, on SIGINT, and past the time limit.

const stops: (() => Promise<void>)[] = []
const stopAll = async () => {
  while (stops.length > 0) await (stops.pop() as () => Promise<void>)().catch(() => undefined)
}
process.once('SIGINT', () => void stopAll().then(() => process.exit(130)))
const deadline = setTimeout(() => {
  log(`bench/latency: over ${maxMinutes} minutes, stopping`)
  void stopAll().then(() => process.exit(1))
}, maxMinutes * 60_000)

// ---------------------------------------------------------------------------------------------------
// One chain per block time

type Running = {
  target: Target
  stack: Stack
  payTo: Address
  /** Payments answered 200, the warm-up included. */
  paid: number
  samples: { ms: number; quoteMs: number }[]
  errors: string[]
  transactions: Set<Hex>
}

async function measure(
  blockTime: number,
): Promise<{ summaries: Summary[]; checks: OnChainCheck[]; problems: string[] }> {
  log(`${blockTime} s blocks: starting anvil (interval mining only) and ${targets.length} targets`)
  const chain = await startLocalChain({ blockTime, mining: 'interval', baseFee: 'anvil' })
  stops.push(chain.stop)
  const running: Running[] = []
  for (const target of targets) {
    const payTo = privateKeyToAccount(generatePrivateKey()).address
    const stack = await target.start(chain, payTo)
    stops.push(stack.stop)
    running.push({ target, stack, payTo, paid: 0, samples: [], errors: [], transactions: new Set() })
  }
  const clients = chain.accounts.payers.map((payer) => buyer(payer, chain.network))
  let turn = 0
  const payOnce = async (run: Running) => {
    // A wait drawn uniformly over one block interval: the request starts at a uniformly random
    // point of the interval, whenever the previous one ended.
    await sleep(Math.random() * blockTime * 1000)
    const result = await timedPayment(
      clients[turn++ % clients.length] as (typeof clients)[number],
      run.stack.url,
      paymentTimeoutMs,
    )
    if (result.ok) {
      run.paid++
      if (result.transaction) run.transactions.add(result.transaction as Hex)
    }
    return result
  }

  for (const run of running) {
    const warmup = await payOnce(run)
    if (!warmup.ok) throw new Error(`${run.target.name}: the warm-up payment failed: ${warmup.error}`)
  }
  for (let round = 0; round < payments; round++) {
    // Interleaved, the order turning each round.
    for (let i = 0; i < running.length; i++) {
      const run = running[(round + i) % running.length] as Running
      const result = await payOnce(run)
      if (result.ok) run.samples.push({ ms: result.ms, quoteMs: result.quoteMs })
      else {
        run.errors.push(result.error)
        log(`${run.target.name}: payment failed after ${Math.round(result.ms)} ms: ${result.error}`)
      }
    }
    if ((round + 1) % 10 === 0 || round + 1 === payments) log(`${blockTime} s blocks: ${round + 1}/${payments} rounds`)
  }

  // On chain: each seller holds exactly the price times its paid requests (an optimistic delivery may
  // still be settling: wait for it, bounded), and every named transaction succeeded.
  const expected = (run: Running) => BigInt(run.paid) * priceAtomic
  const until = Date.now() + 30_000 + blockTime * 5_000
  for (const run of running) {
    while ((await chain.balanceOf(run.payTo)) < expected(run) && Date.now() < until) await sleep(100)
  }
  await sleep(blockTime * 2_000) // two more blocks: anything still in flight lands, and shows
  const checks: OnChainCheck[] = []
  const problems: string[] = []
  for (const run of running) {
    const balance = await chain.balanceOf(run.payTo)
    let unsuccessful = 0
    for (const hash of run.transactions) {
      const receipt = await chain.publicClient.getTransactionReceipt({ hash }).catch(() => undefined)
      if (receipt?.status !== 'success') unsuccessful++
    }
    const check = {
      blockTime,
      target: run.target.name,
      paid: run.paid,
      received: balance,
      expected: expected(run),
      transactions: run.transactions.size,
      unsuccessful,
    }
    checks.push(check)
    const line = `${run.target.name}: the seller received ${balance} for ${run.paid} paid (expected ${check.expected}), ${run.transactions.size} transactions, ${unsuccessful} not successful`
    log(line)
    if (balance !== check.expected || unsuccessful > 0) problems.push(`${blockTime} s blocks, ${line}`)
    for (const error of run.errors.slice(0, 3)) problems.push(`${blockTime} s blocks, ${run.target.name}: ${error}`)
  }
  const summaries = running.map((run) => summarize(run.target.name, blockTime, run.samples, run.errors.length))
  for (const run of running)
    raw.push({ blockTime, target: run.target.name, ms: run.samples.map((sample) => Math.round(sample.ms)) })
  await stopAll()
  return { summaries, checks, problems }
}

// ---------------------------------------------------------------------------------------------------
// Run, report

const loads: number[] = [loadavg()[0] as number]
/** Every measured round trip, in the order paid, for `--samples`. */
const raw: { blockTime: number; target: string; ms: number[] }[] = []
const summaries: Summary[] = []
const checks: OnChainCheck[] = []
const problems: string[] = []
const started = Date.now()
try {
  for (const blockTime of blockTimes) {
    const result = await measure(blockTime)
    summaries.push(...result.summaries)
    checks.push(...result.checks)
    problems.push(...result.problems)
    loads.push(loadavg()[0] as number)
  }
} finally {
  clearTimeout(deadline)
  await stopAll()
}
const minutes = (Date.now() - started) / 60_000

const date = new Date().toISOString().slice(0, 10)
const cpu = cpus()[0]?.model.trim() ?? 'cpu'
const ratios = ratioTable(
  summaries,
  against.map(({ name }) => `tollgate-${name}`),
)
const envPairs = Object.entries(tollgateEnv).map(([name, value]) => `\`${name}=${shown(name, value)}\``)
const envLine = `${envPairs.length ? `with ${envPairs.join(', ')} and ` : 'at its defaults but for '}\`TOLLGATE_MAX_GAS_SHARE=off\` (at anvil's
  1 gwei fees no $0.001 payment pays for its transaction; unless set here, \`TOLLGATE_SEND_SYNC=auto\`: EIP-7966 sends
  where the RPC serves them, else receipt polling every 250 ms)`
const described: Record<string, string> = {
  tollgate: `\`tollgate\`: \`@tollgate/hono\` \`paymentRequired\` with \`httpFacilitator\` (an API key) and Tollgate's
  facilitator service (\`startFacilitator\`: SQLite ledger, one signer)
  ${envLine}`,
  'tollgate-optimistic':
    "`tollgate-optimistic`: the same, the route with `delivery: 'optimistic'` (settled first, answered once the\n  settlement transaction is broadcast, before its block; the handler runs after)",
  'official-1000': `\`official-1000\`: \`@x402/hono\` 2.27.0 \`paymentMiddleware\` and the official facilitator (\`@x402/core\`
  \`x402Facilitator\` + \`@x402/evm\` exact scheme, a viem wallet client with its own key) behind \`/verify\`, \`/settle\`,
  \`/supported\`, viem polling receipts every 1,000 ms (its default for Base)`,
  'official-250': '`official-250`: the same, viem polling every 250 ms',
}
for (const { name, dir, commit } of against) {
  described[`tollgate-${name}`] =
    `\`tollgate-${name}\`: the \`tollgate\` stack from checkout \`${dir}\` at commit \`${commit}\`,
  its own code in a child process (\`bench/latency/checkoutStack.ts\`), its facilitator configured as \`tollgate\`'s
  but settling from a fresh funded key of its own`
}
const childTargets = targets.filter((target) => against.some(({ name }) => target.name === `tollgate-${name}`))
const section = `## Latency

What a buyer feels (issue 23, item 7): the official v2 client (\`@x402/fetch\` with \`@x402/evm\`'s exact client
scheme) pays \`GET /weather\` ($0.001, settled after the handler) one request at a time, and the clock runs from its
first request (answered 402) to the paid 200 with its body in hand: the 402, signing, \`/verify\`, the handler,
\`/settle\` and its wait for the block. anvil mines by interval only (no automine: a transaction waits for its
block, as on Base), at ${blockTimes.map((b) => `${b} s`).join(' and ')} blocks (2 s is Base's block time, 0.2 s its Flashblocks interval), a
fresh chain for each. Each request starts after a wait drawn uniformly over one block interval, so it arrives at a
uniformly random point of the interval. The targets share the chain and take turns, the order turning each round;
payers rotate over dev accounts #2–#9; one unmeasured warm-up payment per target first. Everything runs in one Node
process on 127.0.0.1${childTargets.length ? ` but ${childTargets.map((target) => `\`${target.name}\``).join(', ')}, ${childTargets.length > 1 ? 'each ' : ''}in a child process of its own` : ''}:

${targets.map((target) => `- ${described[target.name]};`).join('\n')}

\`\`\`sh
${command}
\`\`\`

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}, ${minutes.toFixed(1)} minutes, one-minute load average
${loads.map((l) => l.toFixed(1)).join(' → ')} (at the start, then after each chain): the machine was shared with other test runs.
Nearest-rank percentiles of ${payments} payments per target per block time; "402 p50" is the first request's round
trip alone. With blocks every \`B\` ms, a stack that looks for its receipt every \`P\` ms from the send waits on
top of its own work about \`B/2 + P/2\` on average when \`P\` divides \`B\`, and \`P\` when \`P ≥ B\` (the block has
come by the first look)${payments < 100 ? `; with ${payments} payments, p99 is the slowest one` : ''}. Starts
spread over a whole interval make single figures move between runs: compare means within their standard errors
(s.e.).${
  targets.some((target) => target.name === 'official-1000') && blockTimes.includes(2)
    ? `

Read \`official-1000\` at 2 s blocks by its mean: viem looks for the receipt at the send and then every 1,000 ms, so
its answers cluster about 1.1 s and about 2.1 s after the start (rarely sooner, when the block comes at once), and
its p50 falls in one cluster or the other from run to run (\`--samples FILE\` writes every round trip).`
    : ''
}

${latencyTable(summaries)}
${ratios ? `\nEach Tollgate target over the official stack${against.length ? ' and over the other checkouts' : ''}, measured in the same run (below 1: the first is faster):\n\n${ratios}\n` : ''}
On chain afterwards (once any settlement in flight had landed, plus two blocks), each target's seller, a fresh
address, holds exactly the price times its requests answered 200 (the warm-up included), and every settlement
transaction named in \`PAYMENT-RESPONSE\` succeeded:

${checkTable(checks)}
${skipped.length ? `\nNot measured: ${skipped.join('; ')}.\n` : ''}${problems.length ? `\nProblems:\n\n${problems.map((line) => `- ${line}`).join('\n')}\n` : ''}
Later modes are measured by configuration: \`--tollgate-env TOLLGATE_…=…\` (repeatable) configures Tollgate's
facilitator, and \`--route-mode optimistic\` (with \`--route-mode settled\` to keep both) adds a
\`tollgate-optimistic\` target whose route has \`delivery: 'optimistic'\`.
`
process.stdout.write(`${section}\n`)
if (values.samples) writeFileSync(values.samples, `${JSON.stringify({ command, date, samples: raw }, null, 1)}\n`)
if (problems.length > 0) {
  log(`bench/latency: ${problems.length} problems${values.write ? ': docs/benchmarks.md not written' : ''}`)
  process.exit(1)
}
if (values.write) {
  writeSection('## Latency', section)
  log('docs/benchmarks.md: "## Latency" written')
}
