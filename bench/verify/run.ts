/**
 * Verify benchmark: `POST /verify` throughput over HTTP for EOA payments, ours (apps/facilitator)
 * against the official facilitator scheme (@x402/core + @x402/evm 2.27.0) served the same way, on the
 * same local anvil, in the same run; plus our verifies per CPU-second of the facilitator process
 * against the raw native signature-recovery rate on one core.
 *
 *   node bench/verify/index.js [--duration 5] [--warmup 2] [--rounds 3] [--connections 64]
 *                              [--payloads 4000] [--write] [--against name=DIR ...]
 *   (or: node --import ./scripts/register-source.mjs bench/verify/run.ts …)
 *
 * anvil, the facilitators (one child process each, servers.ts) and autocannon (this process) share
 * the machine. Every response is checked (`"isValid":true`). Targets run in interleaved rounds and the
 * median round is reported. The same service with sanctions screening on (OFAC artifact, USDC blacklist, our
 * oracle contract, every decision audited) runs as a third target in the same rounds: its ratio to ours per round
 * is the cost of screening. `--write` replaces the "## Verify" and "## Verify with screening" sections of
 * docs/benchmarks.md.
 *
 * `--against name=DIR` (repeatable) instead measures our service from other checkouts of this repository
 * (a variant commit each, with `node_modules` shared, see bench/verify/variant.sh) against this one's, in the
 * same interleaved rounds: the whole `/verify` with and without a change. `--write` then replaces the
 * "## Verify: hand-written hot paths" section.
 */

import { execFileSync, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import {
  authorizationDigest,
  domainSeparator,
  toExactAuthorization,
  transferWithAuthorizationTypes,
} from '@tollgate/evm'
import { createFacilitator, createMemoryStore, verify } from '@tollgate/facilitator'
import { assets } from '@tollgate/protocol'
import autocannon from 'autocannon'
import {
  createClient,
  custom,
  encodeAbiParameters,
  type Hex,
  recoverTypedDataAddress,
  toHex,
  verifyTypedData,
} from 'viem'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { devPrivateKeys } from '../../test/chain/accounts.ts'
import { sanctionsOracle } from '../../test/chain/contracts/artifacts.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    payloads: { type: 'string', default: '4000' },
    write: { type: 'boolean', default: false },
    against: { type: 'string', multiple: true, default: [] },
  },
})
const variants = (values.against ?? []).map((spec) => {
  const [name, dir] = spec.split('=')
  if (!name || !dir || !/^[\w-]+$/.test(name)) throw new Error(`--against name=DIR, not ${spec}`)
  return { name, dir }
})
const duration = Math.min(Number(values.duration), 30)
const warmup = Math.min(Number(values.warmup), 10)
const rounds = Math.min(Number(values.rounds), 5)
const connections = Math.min(Number(values.connections), 256)
const poolSize = Math.min(Number(values.payloads), 20_000)
const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/verify/index.js'
  : 'node --import ./scripts/register-source.mjs bench/verify/run.ts'
const command = `${entry}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`

type Secp256k1 = {
  ecdsaSign(message: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number }
  ecdsaRecover(
    signature: Uint8Array,
    recid: number,
    message: Uint8Array,
    compressed: boolean,
    output?: Uint8Array,
  ): Uint8Array
}
const secp256k1 = createRequire(import.meta.url)('secp256k1/bindings.js') as Secp256k1
const log = (line: string) => process.stderr.write(`${line}\n`)

// ---------------------------------------------------------------------------------------------------
// Chain and payloads

// At Base's fees (the local chain's default): the default gas policy judges every /verify, as on Base.
const chain = await startLocalChain()
// Our sanctions oracle (the Chainalysis interface) where the real one is on Base, for the screened target.
await chain.testClient.setCode({
  address: '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B',
  bytecode: sanctionsOracle.deployedBytecode,
})
const stopAll: (() => Promise<unknown> | unknown)[] = [() => chain.stop()]
const cleanup = async () => {
  for (const stop of stopAll.reverse()) await stop()
}
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)))

const { name, version } = assets['eip155:8453']
const separator = domainSeparator({ name, version, chainId: 8453, verifyingContract: chain.usdc })
const payTo = chain.accounts.seller.address
const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3_600)
const requirements = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '1000',
  asset: chain.usdc,
  payTo,
  maxTimeoutSeconds: 3_600,
  extra: { name, version },
}
const payerKeys = devPrivateKeys.slice(2).map((key) => Uint8Array.from(Buffer.from(key.slice(2), 'hex')))

log(`signing ${poolSize} payments…`)
const bodies: string[] = []
for (let i = 0; i < poolSize; i++) {
  const payer = chain.accounts.payers[i % 8] as (typeof chain.accounts.payers)[number]
  const authorization = {
    from: payer.address,
    to: payTo,
    value: '1000',
    validAfter: '0',
    validBefore: validBefore.toString(),
    nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
  }
  const digest = authorizationDigest(separator, toExactAuthorization(authorization)) as Uint8Array
  const { signature, recid } = secp256k1.ecdsaSign(digest, payerKeys[i % 8] as Uint8Array)
  const full = new Uint8Array(65)
  full.set(signature)
  full[64] = 27 + recid
  const payload = { signature: toHex(full), authorization }
  bodies.push(
    JSON.stringify({
      x402Version: 2,
      paymentPayload: { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepted: requirements, payload },
      paymentRequirements: requirements,
    }),
  )
}
// The pool is signed with our hand-rolled digest: check a sample against viem's typed-data path.
for (const body of bodies.slice(0, 16)) {
  const { payload } = JSON.parse(body).paymentPayload
  const ok = await verifyTypedData({
    address: payload.authorization.from,
    domain: { name, version, chainId: 8453, verifyingContract: chain.usdc },
    types: transferWithAuthorizationTypes,
    primaryType: 'TransferWithAuthorization',
    message: payload.authorization,
    signature: payload.signature,
  })
  if (!ok) throw new Error('a pre-signed payment does not verify with viem')
}

// ---------------------------------------------------------------------------------------------------
// CPU micro-benchmarks, one core (this thread), before any load

function rate(label: string, fn: (i: number) => unknown, seconds = 1.5): number {
  for (let i = 0; i < 200; i++) fn(i)
  let n = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) fn(n++)
  }
  const perSecond = n / ((performance.now() - start) / 1000)
  log(`  ${label}: ${Math.round(perSecond)}/s`)
  return perSecond
}

async function asyncRate(label: string, fn: (i: number) => Promise<unknown>, seconds = 1.5): Promise<number> {
  let n = 0
  const start = performance.now()
  const end = start + seconds * 1000
  while (performance.now() < end) await fn(n++)
  const perSecond = n / ((performance.now() - start) / 1000)
  log(`  ${label}: ${Math.round(perSecond)}/s`)
  return perSecond
}

log('CPU, one core:')
const samples = bodies.slice(0, 1_000).map((body) => {
  const { payload } = JSON.parse(body).paymentPayload
  const authorization = toExactAuthorization(payload.authorization)
  const signature = Uint8Array.from(Buffer.from((payload.signature as string).slice(2), 'hex'))
  return {
    authorization,
    signature,
    hex: payload.signature as Hex,
    digest: authorizationDigest(separator, authorization) as Uint8Array,
  }
})
const output = new Uint8Array(65)
const nativeRecover = createNativeRecover()
const fromOf = samples.map((sample) => sample.authorization.from.toLowerCase())
/** chain.md §4's "full EOA verify": hand-rolled digest + native recovery + compare with `from`. */
const checkSignature = (i: number) => {
  const s = samples[i % samples.length] as (typeof samples)[number]
  const digest = authorizationDigest(separator, s.authorization) as Uint8Array
  const recovered = nativeRecover(digest, s.signature.subarray(0, 64), ((s.signature[64] as number) - 27) as 0 | 1) as
    | string
    | undefined
  if (recovered?.toLowerCase() !== fromOf[i % samples.length]) throw new Error('signature check failed')
}
const rawRecover = (i: number) => {
  const s = samples[i % samples.length] as (typeof samples)[number]
  secp256k1.ecdsaRecover(s.signature.subarray(0, 64), (s.signature[64] as number) - 27, s.digest, false, output)
}
const micro = {
  rawRecover: 0,
  signatureCheck: 0,
  verifyCore: 0,
  recoverAddress: rate('native recover + keccak -> address', (i) => {
    const s = samples[i % samples.length] as (typeof samples)[number]
    nativeRecover(s.digest, s.signature.subarray(0, 64), ((s.signature[64] as number) - 27) as 0 | 1)
  }),
  viemRecover: await asyncRate('viem recoverTypedDataAddress (the reference path)', async (i) => {
    const s = samples[i % samples.length] as (typeof samples)[number]
    await recoverTypedDataAddress({
      domain: { name, version, chainId: 8453, verifyingContract: chain.usdc },
      types: transferWithAuthorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message: s.authorization,
      signature: s.hex,
    })
  }),
}

// Our whole verification of one request without I/O: `verify(facilitator, body)` exactly as the
// service runs it (JSON.parse, request checks, digest, native recovery, every check, the Multicall3
// encode/decode, an in-memory ledger), with the node's answer to the batched eth_call served from
// memory: balance ample, nonce unused, not paused, nobody blacklisted, simulation succeeds.
const word = (value: bigint) => `0x${value.toString(16).padStart(64, '0')}` as Hex
const answers = new Map<number, Hex>()
const answerFor = (calls: number): Hex => {
  let answer = answers.get(calls)
  if (!answer) {
    // EOA payments: 6 reads (balance, nonce state, paused, 2 × blacklist, the payer's code probe), 1 simulated
    // transfer. The probe of an EOA answers an empty success (no code).
    const groups = calls / 7
    const results = Array.from({ length: calls }, (_, i) => ({
      success: true,
      returnData: i < groups * 6 && i % 6 !== 5 ? word(i % 6 === 0 ? 10n ** 12n : 0n) : ('0x' as Hex),
    }))
    answer = encodeAbiParameters(
      [
        {
          type: 'tuple[]',
          components: [
            { type: 'bool', name: 'success' },
            { type: 'bytes', name: 'returnData' },
          ],
        },
      ],
      [results],
    )
    answers.set(calls, answer)
  }
  return answer
}
const inMemoryChain = createClient({
  transport: custom({
    async request({ method, params }) {
      if (method !== 'eth_call') throw new Error(`unexpected ${method}`)
      const data = (params as [{ data: Hex }])[0].data
      return answerFor(Number.parseInt(data.slice(74, 138), 16))
    },
  }),
})
const inMemory = createFacilitator(
  {
    store: createMemoryStore(),
    networks: [{ network: 'eip155:8453', client: inMemoryChain, account: chain.accounts.facilitator }],
  },
  // The pool is cycled, so the same payment is verified again: a zero-second reservation lets each
  // verification take it afresh (a held one answers `authorization_in_use`), ledger work included.
  { recover: nativeRecover, reservationSeconds: 0n },
)
stopAll.push(() => inMemory.close())
const verifyOne = async (i: number) => {
  const result = await verify(inMemory, JSON.parse(bodies[i % bodies.length] as string))
  if (!result.ok || !result.response.isValid)
    throw new Error(`in-memory verification failed: ${JSON.stringify(result)}`)
}
await verifyOne(0)

// Raw recovery, our signature check and our whole verification take turns on the same core in 100 ms
// slices for 9 s, so a noisy neighbour slows all three alike; each rate is its operations over its own
// slices' time.
async function interleaved(
  work: Record<'raw' | 'signature' | 'core', (i: number) => unknown>,
  seconds = 9,
): Promise<Record<'raw' | 'signature' | 'core', number>> {
  const names = Object.keys(work) as ('raw' | 'signature' | 'core')[]
  const totals = Object.fromEntries(names.map((name) => [name, { n: 0, ms: 0 }])) as Record<
    string,
    { n: number; ms: number }
  >
  for (const name of names) for (let i = 0; i < 300; i++) await work[name](i) // warm up
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    for (const name of names) {
      const total = totals[name] as { n: number; ms: number }
      const start = performance.now()
      const stop = start + 100
      while (performance.now() < stop) {
        for (let k = 0; k < 10; k++) await work[name](total.n++)
      }
      total.ms += performance.now() - start
    }
  }
  return Object.fromEntries(
    names.map((name) => [name, ((totals[name] as { n: number }).n / (totals[name] as { ms: number }).ms) * 1000]),
  ) as Record<'raw' | 'signature' | 'core', number>
}
const rates = await interleaved({ raw: rawRecover, signature: checkSignature, core: verifyOne })
micro.rawRecover = rates.raw
micro.signatureCheck = rates.signature
micro.verifyCore = rates.core
const signatureOfRecover = rates.signature / rates.raw
const coreOfRecover = rates.core / rates.raw
log(
  `  interleaved: raw recover ${Math.round(rates.raw)}/s, signature check ${Math.round(rates.signature)}/s, verify ${Math.round(rates.core)}/s`,
)

// ---------------------------------------------------------------------------------------------------
// The servers

type Started = { url: string; cpu: string }
/** Starts one target in its own process, from this checkout or `dir`'s. */
async function startTarget(target: 'ours' | 'screened' | 'reference', dir = join(import.meta.dirname, '../..')) {
  const child = spawn(
    process.execPath,
    ['--conditions=@tollgate/source', '--import', 'tsx', join(dir, 'bench/verify/servers.ts')],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production', TOLLGATE_BENCH_RPC: chain.url, TOLLGATE_BENCH_TARGET: target },
    },
  )
  // Never leave a server behind, whatever ends this process.
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  stopAll.push(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  return new Promise<Started>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve(JSON.parse(line)))
    child.once('exit', (code) => reject(new Error(`${target} server (${dir}) exited with ${code}`)))
  })
}
const urls: Record<string, Started> = { ours: await startTarget('ours') }
if (variants.length === 0) {
  urls.screened = await startTarget('screened')
  urls.reference = await startTarget('reference')
} else {
  // The control: this checkout's service started again, so the table shows what the method reads for no change.
  urls.control = await startTarget('ours')
}
for (const { name, dir } of variants) urls[name] = await startTarget('ours', dir)
const targets = Object.keys(urls)

const post = async (url: string, body: string) =>
  (await fetch(`${url}/verify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()
for (const { url } of Object.values(urls)) {
  const answer = (await post(url, bodies[0] as string)) as { isValid?: boolean }
  if (answer.isValid !== true) throw new Error(`${url} does not accept the bench payment: ${JSON.stringify(answer)}`)
}

// ---------------------------------------------------------------------------------------------------
// Load

type Cannon = (options: Record<string, unknown>, callback: (error: unknown, result: CannonResult) => void) => unknown
type CannonResult = {
  requests: { total: number; average: number }
  latency: { p50: number; p99: number }
  non2xx: number
  errors: number
  duration: number
}
type Round = {
  rps: number
  p50: number
  p99: number
  invalid: number
  errors: number
  cpuPerVerify: number
  verifiesPerCpuSecond: number
}

let cursor = 0
function load(url: string, seconds: number): Promise<{ result: CannonResult; invalid: number }> {
  let invalid = 0
  return new Promise((resolve, reject) => {
    ;(autocannon as unknown as Cannon)(
      {
        url: `${url}/verify`,
        connections,
        duration: seconds,
        pipelining: 1,
        requests: [
          {
            method: 'POST',
            path: '/verify',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request: Record<string, unknown>) => ({
              ...request,
              body: bodies[cursor++ % bodies.length],
            }),
            onResponse: (status: number, body: string) => {
              if (status !== 200 || !body.includes('"isValid":true')) invalid++
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, invalid })),
    )
  })
}

const cpuOf = async (url: string) => ((await (await fetch(`${url}/__cpu`)).json()) as { cpu: number }).cpu

async function measure(target: string): Promise<Round> {
  const { url, cpu: cpuUrl } = urls[target] as Started
  await load(url, warmup)
  const before = await cpuOf(cpuUrl)
  const { result, invalid } = await load(url, duration)
  const cpuSeconds = ((await cpuOf(cpuUrl)) - before) / 1e6
  const total = result.requests.total
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    invalid: invalid + result.non2xx,
    errors: result.errors,
    cpuPerVerify: (cpuSeconds / total) * 1e6,
    verifiesPerCpuSecond: total / cpuSeconds,
  }
}

const loadBefore = loadavg()[0] as number
const results: Record<string, Round[]> = Object.fromEntries(targets.map((target) => [target, []]))
for (let round = 1; round <= rounds; round++) {
  // Neighbours back to back, the order reversed every other round, so the machine's noise hits them alike.
  const order = round % 2 ? targets : [...targets].reverse()
  for (const target of order) {
    const measured = await measure(target)
    results[target]?.push(measured)
    log(
      `round ${round} ${target}: ${Math.round(measured.rps)} verifies/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms, ` +
        `${Math.round(measured.verifiesPerCpuSecond)} per CPU-second, invalid ${measured.invalid}, errors ${measured.errors}`,
    )
  }
}
const loadAfter = loadavg()[0] as number
await cleanup()

// ---------------------------------------------------------------------------------------------------
// Report

const median = (rows: Round[], key: keyof Round) => {
  const sorted = rows.map((row) => row[key]).sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}
const rowsOf = (target: string) => results[target] ?? []
const summary = (target: string) => ({
  rps: median(rowsOf(target), 'rps'),
  p50: median(rowsOf(target), 'p50'),
  p99: median(rowsOf(target), 'p99'),
  perCpu: median(rowsOf(target), 'verifiesPerCpuSecond'),
  invalid: rowsOf(target).reduce((sum, row) => sum + row.invalid + row.errors, 0),
})
/** Per round, `key` of `target` over the same of `baseline`. */
const ratiosOf = (target: string, baseline: string, key: keyof Round = 'rps') =>
  rowsOf(target).map((row, i) => row[key] / (rowsOf(baseline)[i]?.[key] ?? Number.NaN))
const middle = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`
const fmt = (n: number) => Math.round(n).toLocaleString('en-US').replace(/,/g, ' ')
const cpu = cpus()[0]?.model ?? 'unknown CPU'
const date = new Date().toISOString().slice(0, 10)

if (variants.length > 0) {
  const baseline = summary('ours')
  const rowsText = [{ name: 'control', dir: '' }, ...variants].map(({ name, dir }) => {
    const variant = summary(name)
    const subject = dir
      ? execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim()
      : 'none: this checkout again, a second process (the method’s noise)'
    const rps = ratiosOf(name, 'ours')
    const perCpu = ratiosOf(name, 'ours', 'verifiesPerCpuSecond')
    return (
      `| ${name} | \`${subject.replace(/\|/g, '/')}\` | ${fmt(variant.rps)} | ${fmt(variant.perCpu)} | ` +
      `**${middle(rps).toFixed(2)}×** (${spread(rps)}) | **${middle(perCpu).toFixed(2)}×** (${spread(perCpu)}) | ${variant.invalid} |`
    )
  })
  const variantSection = `## Verify: hand-written hot paths

Each hand-written piece on the \`/verify\` path measured by what it buys end to end: the whole service
(\`startFacilitator\`, as in "## Verify") from this checkout against the same service from a checkout where that
piece is replaced by the library, in the same interleaved rounds of one run, each in its own process. Commands
(each variant is \`bench/verify/variants/NAME.patch\` applied to this checkout):

\`\`\`sh
${variants.map(({ name, dir }) => `bash bench/verify/variant.sh ${dir} bench/verify/variants/${name}.patch`).join('\n')}
${command}
\`\`\`

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}, ${rounds} rounds of ${duration} s (${warmup} s warmup),
${connections} connections, load average ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end.
This checkout (\`ours\`): ${fmt(baseline.rps)} verifies/s, ${fmt(baseline.perCpu)} per CPU-second, ${baseline.invalid} bad answers.
Ratios are the variant's over ours, round by round (median, and spread over the rounds), below 1 when the
variant is slower; the control row is what the method reads for no change at all.
A piece stays hand-written only while its variant's median reads clearly below the control's; one whose
variant reads like the control is replaced by the library.

| variant | commit | verifies/s | per CPU-second | throughput / ours | per CPU-second / ours | bad answers |
| --- | --- | ---: | ---: | ---: | ---: | ---: |
${rowsText.join('\n')}
`
  process.stdout.write(`${variantSection}\n${JSON.stringify({ rounds: results })}\n`)
  if (values.write) {
    writeSection('## Verify: hand-written hot paths', variantSection)
    log('docs/benchmarks.md: ## Verify: hand-written hot paths written')
  }
  process.exit(0)
}
const ours = summary('ours')
const reference = summary('reference')
const ratios = ratiosOf('ours', 'reference')
const speedup = ours.rps / reference.rps
const httpOfRecover = ours.perCpu / micro.rawRecover
const section = `## Verify

\`POST /verify\` throughput over HTTP for EOA payments (v2, \`exact\`, USDC on the local Base chain): **ours**
(\`apps/facilitator\` \`startFacilitator\`: native libsecp256k1 recovery, hand-rolled EIP-712 digest, one Multicall3
\`eth_call\` per verification coalesced across concurrent requests, SQLite ledger) against **the official facilitator
scheme** (\`@x402/core\` \`x402Facilitator\` + \`@x402/evm\` 2.27.0 \`registerExactEvmScheme\`, viem signer) behind the
same kind of Hono \`POST /verify\`, on the same anvil, in the same run. ${fmt(poolSize)} distinct pre-signed payments are
cycled; every response is checked for \`"isValid":true\`. Since a payment comes round again, ours holds each \`/verify\`
reservation for 1 s (\`TOLLGATE_RESERVATION_SECONDS=1\`, the shortest lease) instead of the default 120 s.

Command (from the repository root):

\`\`\`sh
${command}
\`\`\`

anvil (\`--mixed-mining --block-time 1\`), the facilitators (one child process each, \`bench/verify/servers.ts\`,
\`@hono/node-server\` on 127.0.0.1) and autocannon 8.0.0 (${connections} connections, no pipelining) share the machine.
Targets run in ${rounds} interleaved rounds (${warmup} s warmup, ${duration} s measured); the median round is reported.
"Per CPU-second" is requests divided by the CPU time (user + system) the facilitator process spent in the measured
window, i.e. verifies per second per core of the facilitator itself (anvil's work is not in it).

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}:

| target | verifies/s | p50 ms | p99 ms | per CPU-second | bad answers |
| --- | ---: | ---: | ---: | ---: | ---: |
| ours (\`apps/facilitator\`) | ${fmt(ours.rps)} | ${ours.p50} | ${ours.p99} | ${fmt(ours.perCpu)} | ${ours.invalid} |
| official (\`@x402/evm\` 2.27.0) | ${fmt(reference.rps)} | ${reference.p50} | ${reference.p99} | ${fmt(reference.perCpu)} | ${reference.invalid} |

- Ours / official over HTTP: **${speedup.toFixed(1)}×** (target ≥ 10×). Rounds: ${ratios.map((r) => r.toFixed(1)).join(', ')}.
- Our verifications per second per core / raw native recoveries per second, same core, same run (the three take
  turns in 100 ms slices for 9 s):
  - EOA signature verification (hand-rolled EIP-712 digest + native recovery + compare with \`from\`, what
    chain.md §4 calls "full EOA verify"): ${fmt(micro.signatureCheck)}/s against ${fmt(micro.rawRecover)}/s,
    **${(signatureOfRecover * 100).toFixed(0)} %** (target ≥ 50 %).
  - The whole \`verify(facilitator, body)\` as the service runs it (JSON parse, request checks (by hand for a
    well-formed v2 body, zod otherwise), digest, native recovery, every check, Multicall3 encode/decode, an in-memory
    ledger with zero-second reservations, as the pool is cycled) with the node's answer to the batched \`eth_call\`
    served from memory: ${fmt(micro.verifyCore)}/s, **${(coreOfRecover * 100).toFixed(0)} %** of the raw recovery rate (target ≥ 50 %).
- End to end over HTTP the facilitator process spends ${fmt(1e6 / ours.perCpu)} µs of CPU per verification
  (${fmt(ours.perCpu)} per CPU-second, ${(httpOfRecover * 100).toFixed(0)} % of the raw recovery rate): the rest is Node's HTTP
  server and sockets, the SQLite reservation, and the batched \`eth_call\`s' JSON-RPC.

Why the gap: the official scheme spends ${fmt(1e6 / reference.perCpu)} µs of CPU per verification here, most of it in viem's
pure-JS recovery (${fmt(micro.viemRecover)}/s on this core), and makes four RPCs per verification (3 × \`eth_getCode\`,
1 \`eth_call\`). Ours recovers natively, hashes with an unrolled keccak and a precomputed domain separator, and asks the
chain once per batch of concurrent verifications (reads first, then the simulated transfers, in one \`aggregate3\`).
On a shared machine absolute figures move by ±30 % between runs; compare the ratios, measured round by round.

CPU micro-benchmarks (one core, this process, before the load):

| operation | ops/s |
| --- | ---: |
| native \`ecdsaRecover\` (libsecp256k1, \`secp256k1\` 5.0.2 prebuild) | ${fmt(micro.rawRecover)} |
| native recover + keccak → address (\`createNativeRecover\`) | ${fmt(micro.recoverAddress)} |
| our EOA signature verification (digest + native recover + compare) | ${fmt(micro.signatureCheck)} |
| our \`verify(facilitator, body)\`, chain answers from memory | ${fmt(micro.verifyCore)} |
| viem \`recoverTypedDataAddress\` (the official scheme's signature check, pure JS) | ${fmt(micro.viemRecover)} |
`

const screened = summary('screened')
const screenedRatios = ratiosOf('screened', 'ours')
const screenedCpuRatios = ratiosOf('screened', 'ours', 'verifiesPerCpuSecond')
const screeningSection = `## Verify with screening

The cost of sanctions screening (issue 12) on \`POST /verify\`, measured by \`bench/verify\` (\`${command}\`; the
unscreened service, the screened one and the official scheme in the same interleaved rounds of one run): **screened** is the same \`startFacilitator\` with \`TOLLGATE_SCREENING=on\`: an OFAC artifact of 1 000
EVM addresses (the real list has about 90), the USDC blacklist, our \`SanctionsOracle\` contract at the Base oracle
address (\`isSanctioned\` of payer and payee), and one hash-chained audit record per decision in the SQLite ledger,
written before the answer. Its on-chain reads (\`isSanctioned\` × 2 and \`getBlockNumber\`; the blacklist reads were in
the batch already) ride in the verification's one Multicall3 \`eth_call\`: no extra round trip
(\`test/screening/screening.test.ts\` counts \`{ eth_call: 1 }\` per \`/verify\`). Ours and screened run back to back in
each round, their order alternating, each in its own server process; the ratios are taken round by round.

Results, ${date}, Node ${process.version}, ${cpus().length} × ${cpu}, ${rounds} rounds of ${duration} s, load average
${loadBefore.toFixed(1)} at the start of the rounds and ${loadAfter.toFixed(1)} at the end (medians of the rounds):

| target | verifies/s | p50 ms | p99 ms | per CPU-second | bad answers |
| --- | ---: | ---: | ---: | ---: | ---: |
| ours, screening off | ${fmt(ours.rps)} | ${ours.p50} | ${ours.p99} | ${fmt(ours.perCpu)} | ${ours.invalid} |
| ours, screening on | ${fmt(screened.rps)} | ${screened.p50} | ${screened.p99} | ${fmt(screened.perCpu)} | ${screened.invalid} |

- Throughput with / without screening: median **${middle(screenedRatios).toFixed(2)}×** (rounds: ${screenedRatios.map((r) => r.toFixed(2)).join(', ')}; spread ${spread(screenedRatios)}).
- Verifies per CPU-second with / without: median **${middle(screenedCpuRatios).toFixed(2)}×** (rounds: ${screenedCpuRatios.map((r) => r.toFixed(2)).join(', ')}; spread ${spread(screenedCpuRatios)});
  CPU per verification ${fmt(1e6 / ours.perCpu)} µs without, ${fmt(1e6 / screened.perCpu)} µs with (the audit record's JSON, SHA-256 and
  SQLite insert, the providers and the policy).
- The machine is shared (2 cores, other work running): absolute figures move between runs; the round-by-round
  ratio is the figure to read.
`

process.stdout.write(`${section}\n${screeningSection}\n`)
process.stdout.write(
  `${JSON.stringify({ ours, screened, reference, speedup, screenedRatios, screenedCpuRatios, signatureOfRecover, coreOfRecover, httpOfRecover, micro, rounds: results }, null, 0)}\n`,
)
if (values.write) {
  const file = join(import.meta.dirname, '../../docs/benchmarks.md')
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf('\n## Verify\n')
  let next: string
  if (start < 0) {
    next = `${text.trimEnd()}\n\n${section}`
  } else {
    const after = text.indexOf('\n## ', start + 1)
    next = `${text.slice(0, start + 1)}${section}${after < 0 ? '' : text.slice(after)}`
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
  writeSection('## Verify with screening', screeningSection)
  log('docs/benchmarks.md: ## Verify and ## Verify with screening written')
}
