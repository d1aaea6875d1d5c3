/**
 * The facilitator killed with SIGKILL at random moments during a stream of 500 settlements, and
 * restarted on the same ledger and port each time: every authorization is settled on chain exactly
 * once or refused, and the ledger matches the chain (settled ⇔ authorizationState). And on
 * PostgreSQL: killed 250 ms into 1,000 concurrent settlements and restarted with the same key, the
 * immediate retry of every payment is settled with its transaction, never `settlement_pending`, and
 * the retry of one whose settlement was under way is answered from the chain within the settle wait.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LedgerEntry } from '@tollgate/facilitator'
import { errorInfo, isErrorCode } from '@tollgate/protocol'
import { createSqliteStore } from '@tollgate/store-sqlite'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { freePort } from '../chain/freePort.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, dropSchema, postgresAvailable, query, uniqueSchema } from '../ledger/postgres.ts'
import { seededRandom } from './faultProxy.ts'
import { chainView, makePayments, type Payment, pool } from './payments.ts'

const count = Number(process.env.TOLLGATE_CRASH_COUNT ?? 500)
const seed = Number(process.env.TOLLGATE_CRASH_SEED ?? Date.now() % 1_000_000)
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let chain: LocalChain
let dataDir: string
let port: number
let child: ChildProcess | undefined
let log = ''
const reconciled: Record<string, number> = {}

beforeAll(async () => {
  chain = await startLocalChain()
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-crash-'))
  port = await freePort()
})
afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await chain?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

/**
 * Starts the facilitator as a child process on `port` and the shared data dir (or the `ledger` env's
 * PostgreSQL schema); resolves once it listens.
 */
async function startChild(ledger: Record<string, string> = { TOLLGATE_DATA_DIR: dataDir }): Promise<ChildProcess> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('TOLLGATE_')) env[key] = value
  }
  const started = spawn(process.execPath, [bin], {
    env: {
      ...env,
      TOLLGATE_PORT: String(port),
      // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
      TOLLGATE_AUTH: 'off',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      // Hundreds of requests from one loopback address: not what this test is about.
      TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_RECEIPT_TIMEOUT_MS: '4000',
      TOLLGATE_POLLING_INTERVAL_MS: '100',
      TOLLGATE_RECONCILE_INTERVAL_MS: '1000',
      TOLLGATE_RECONCILE_STALE_SECONDS: '2',
      TOLLGATE_REPLACE_AFTER_MS: '3000',
      ...ledger,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    started.stdout?.setEncoding('utf8')
    started.stderr?.setEncoding('utf8')
    started.stderr?.on('data', (chunk: string) => {
      log = (log + chunk).slice(-4_000)
    })
    started.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (/"msg":"listening"/.test(output)) resolve()
    })
    started.stdout?.on('data', (chunk: string) => {
      for (const match of chunk.matchAll(/"reconciled":(\{[^}\n]*\})/g)) {
        let counts: Record<string, number>
        try {
          counts = JSON.parse(match[1] as string) as Record<string, number>
        } catch {
          continue // a line split across chunks: only the tally misses it
        }
        for (const [key, n] of Object.entries(counts)) reconciled[key] = (reconciled[key] ?? 0) + n
      }
    })
    started.once('exit', (code) => reject(new Error(`facilitator exited ${code}: ${output}${log}`)))
  })
  return started
}

type Outcome = { kind: 'settled' | 'refused'; code?: string; transaction?: string }

/** Asks `/settle` the way a resource server would: retries lost connections, pending and retryable answers. */
async function settleUntilFinal(payment: Payment, deadline: number): Promise<Outcome | undefined> {
  while (Date.now() < deadline) {
    let answer: Record<string, unknown>
    try {
      const response = await fetch(`http://127.0.0.1:${port}/settle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payment.body),
        signal: AbortSignal.timeout(10_000),
      })
      answer = (await response.json()) as Record<string, unknown>
    } catch {
      await sleep(150) // down or killed mid-request: try again
      continue
    }
    if (answer.success === true) return { kind: 'settled', transaction: String(answer.transaction) }
    const code = answer.errorReason ?? answer.error
    if (isErrorCode(code) && errorInfo(code).class !== 'invalid') {
      await sleep(250)
      continue
    }
    return { kind: 'refused', code: String(code) }
  }
  return undefined
}

test('behavior: SIGKILL at random moments during 500 settlements: each settled once or refused, ledger = chain', async () => {
  const random = seededRandom(seed)
  const kills = 3 + Math.floor(random() * 3)
  console.log(`crash seed ${seed} (TOLLGATE_CRASH_SEED=${seed} replays it): ${kills} kills over ${count} settlements`)
  const payments = await makePayments(chain, count)
  const started = Date.now()
  child = await startChild()

  const outcomes = new Map<string, Outcome>()
  let streaming = true
  let killed = 0
  const killer = (async () => {
    for (let kill = 0; kill < kills && streaming; kill++) {
      // A random moment within the kill's share of the stream (by answers received), plus a random delay.
      const threshold = Math.floor(((kill + 0.2 + random() * 0.6) / (kills + 1)) * count)
      while (streaming && outcomes.size < threshold) await sleep(20)
      await sleep(random() * 300)
      if (!streaming) break
      const victim = child as ChildProcess
      const exited = new Promise((resolve) => victim.once('exit', resolve))
      victim.kill('SIGKILL')
      await exited
      killed++
      console.log(`SIGKILL #${kill + 1} at ${Date.now() - started} ms, ${outcomes.size} answered`)
      child = await startChild()
    }
  })()
  const streamDeadline = started + 50_000
  await pool(payments, 24, async (payment) => {
    const outcome = await settleUntilFinal(payment, streamDeadline)
    if (outcome) outcomes.set(payment.id, outcome)
  })
  streaming = false
  await killer
  console.log(`stream done at ${Date.now() - started} ms: ${outcomes.size}/${count} answered`)

  // Stop cleanly (the last start's reconciler ran at start and every second), then read the ledger.
  const last = child as ChildProcess
  const exited = new Promise((resolve) => last.once('exit', resolve))
  last.kill('SIGTERM')
  await exited
  child = undefined

  const view = await chainView(chain, payments)
  const store = createSqliteStore({ dataDir })
  const ledger = new Map<string, LedgerEntry | undefined>()
  for (const payment of payments) ledger.set(payment.id, await store.get(payment.id))
  await store.close()

  const signer = chain.accounts.facilitator.address
  for (const payment of payments.filter((p) => !outcomes.has(p.id))) {
    const entry = ledger.get(payment.id)
    const tx = entry?.transaction
      ? await chain.publicClient.request({ method: 'eth_getTransactionByHash', params: [entry.transaction] })
      : null
    console.log(
      `unanswered ${payment.id}: ${entry?.state} tx ${entry?.transaction} nonce ${entry?.signerNonce} known ${tx !== null}`,
      `signer latest ${await chain.publicClient.getTransactionCount({ address: signer, blockTag: 'latest' })}`,
      `pending ${await chain.publicClient.getTransactionCount({ address: signer, blockTag: 'pending' })}`,
    )
  }
  let settled = 0
  let refused = 0
  const states: Record<string, number> = {}
  for (const payment of payments) {
    const onChain = view.get(payment.id)
    const entry = ledger.get(payment.id)
    const outcome = outcomes.get(payment.id)
    const state = entry?.state ?? 'none'
    states[state] = (states[state] ?? 0) + 1
    const where = `${payment.id}: ${JSON.stringify(outcome)} ledger ${state}`
    expect(onChain?.logs ?? 0, where).toBeLessThanOrEqual(1) // never twice
    expect(outcome, where).toBeDefined() // every payment got a final answer
    if (outcome?.kind === 'settled') {
      expect(onChain?.spent, where).toBe(true)
      expect(outcome.transaction?.toLowerCase(), where).toBe(onChain?.transactions[0]?.toLowerCase())
      settled++
    } else {
      expect(onChain?.spent, where).toBe(false)
      refused++
    }
    expect(entry?.state === 'settled', where).toBe(onChain?.spent === true)
  }
  console.log(
    `${settled} settled once, ${refused} refused, ledger ${JSON.stringify(states)}, reconciler ${JSON.stringify(reconciled)}, ${Date.now() - started} ms`,
  )
  expect(settled + refused).toBe(count)
  expect(killed).toBe(kills)
}, 90_000)

const pgAvailable = await postgresAvailable('test/recovery/crash (PostgreSQL)')
const burst = Number(process.env.TOLLGATE_CRASH_BURST ?? 1000)

describe.skipIf(!pgAvailable)('a restart on PostgreSQL does not leave a paid buyer waiting', () => {
  const schema = uniqueSchema('crash')
  afterAll(async () => {
    if (pgAvailable) await dropSchema(schema)
  })

  test(`behavior: SIGKILL 250 ms into ${burst} concurrent settlements, restart with the same key: every retry of a payment in flight is settled with its transaction`, async () => {
    const ledger = {
      TOLLGATE_DATABASE_URL: databaseUrl,
      TOLLGATE_DATABASE_SCHEMA: schema,
      TOLLGATE_NETWORKS: chain.network,
      // The settle wait: every retry is answered within it.
      TOLLGATE_RECEIPT_TIMEOUT_MS: '8000',
      // Every payment in flight at once (not queued behind its payer's cap).
      TOLLGATE_MAX_IN_FLIGHT_PER_PAYER: '1000',
      TOLLGATE_RECONCILE_STALE_SECONDS: '8',
    }
    const payments = await makePayments(chain, burst)
    child = await startChild(ledger)
    const settleOnce = async (payment: Payment): Promise<Record<string, unknown> | undefined> => {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/settle`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payment.body),
          signal: AbortSignal.timeout(30_000),
        })
        return (await response.json()) as Record<string, unknown>
      } catch {
        return undefined // killed mid-request
      }
    }
    const first = Promise.all(payments.map(settleOnce))
    // 250 ms into the burst, and once settlements are mid-way (claimed, or signed and recorded), bounded.
    await sleep(250)
    for (const bound = Date.now() + 10_000; Date.now() < bound; await sleep(20)) {
      const [busy] = await query<{ n: string }>(
        `SELECT count(*) AS n FROM "${schema}".ledger WHERE state IN ('settling', 'submitted')`,
      )
      if (Number(busy?.n) >= burst / 10) break
    }
    const victim = child as ChildProcess
    const exited = new Promise((resolve) => victim.once('exit', resolve))
    victim.kill('SIGKILL')
    await exited
    const firstAnswers = await first
    const rows = await query<{ id: string; state: string }>(`SELECT id, state FROM "${schema}".ledger`)
    const inFlight = new Set(rows.filter((row) => row.state !== 'settled').map((row) => row.id))
    // Its settlement under way at the kill (claimed, or signed and recorded): the retry is answered from the chain.
    const underWay = new Set(
      rows.filter((row) => row.state === 'settling' || row.state === 'submitted').map((row) => row.id),
    )
    const atKill: Record<string, number> = {}
    for (const row of rows) atKill[row.state] = (atKill[row.state] ?? 0) + 1
    child = await startChild(ledger)
    const restarted = Date.now()
    // The immediate retry of every payment, each once.
    const retries = await Promise.all(
      payments.map(async (payment) => {
        const started = Date.now()
        const answer = await settleOnce(payment)
        return { payment, answer, ms: Date.now() - started }
      }),
    )
    const retryMs = Date.now() - restarted
    const view = await chainView(chain, payments)
    const kinds: Record<string, number> = {}
    let slowest = 0
    let slowestUnderWay = 0
    for (const { payment, answer, ms } of retries) {
      const kind = answer?.success === true ? 'settled' : String(answer?.errorReason ?? answer?.error ?? 'lost')
      kinds[kind] = (kinds[kind] ?? 0) + 1
      if (answer?.success === true) slowest = Math.max(slowest, ms)
      if (underWay.has(payment.id)) slowestUnderWay = Math.max(slowestUnderWay, ms)
    }
    const answeredFirst = firstAnswers.filter((answer) => answer !== undefined).length
    const times = retries.map(({ ms }) => ms).sort((a, b) => a - b)
    console.log(
      `PostgreSQL: ${answeredFirst}/${burst} answered before SIGKILL, ledger at kill ${JSON.stringify(atKill)}; retries ${JSON.stringify(kinds)} in ${retryMs} ms (p50 ${times[Math.floor(times.length / 2)]} ms, slowest settled ${slowest} ms; of the ${underWay.size} under way at the kill, slowest ${slowestUnderWay} ms)`,
    )
    for (const { payment, answer } of retries) {
      const onChain = view.get(payment.id)
      const where = `${payment.id}: ${JSON.stringify(answer)} (in flight: ${inFlight.has(payment.id)})`
      expect(onChain?.logs ?? 0, where).toBeLessThanOrEqual(1) // never twice
      // Answered from the chain: a mined payment is settled with its transaction, never pending.
      if (onChain?.spent) {
        expect(answer, where).toMatchObject({ success: true })
        expect(String(answer?.transaction).toLowerCase(), where).toBe(onChain.transactions[0]?.toLowerCase())
      }
      // A payment in flight at the kill is settled by the retry.
      if (inFlight.has(payment.id)) expect(answer?.success, where).toBe(true)
    }
    expect(kinds.settlement_pending ?? 0).toBe(0)
    // A payment whose settlement was under way is answered within the settle wait; the others (reserved, or not yet
    // in the ledger) are settled anew, behind the whole burst, so they take as long as the signer's throughput.
    expect(slowestUnderWay).toBeLessThanOrEqual(8_000 + 2_000)
  }, 120_000)
})
