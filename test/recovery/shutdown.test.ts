/**
 * Graceful shutdown (issue 9, item 8): SIGTERM to a real facilitator process during a burst of 200
 * settlements (loopback, bounded). None is lost: every `/settle` the process accepted ends settled
 * on chain (ledger = chain), every other one was refused cleanly (503 `facilitator_unavailable`,
 * retryable; a refused connection once the listener closed; or, rarely, a reset of an idle keep-alive
 * connection closed at the end: the request never reached a handler, and none of these is on chain), the
 * process exits 0, and the refused ones settle when retried against the restarted service.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LedgerEntry } from '@tollgate/facilitator'
import { errorInfo, isErrorCode } from '@tollgate/protocol'
import { createSqliteStore } from '@tollgate/store-sqlite'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { freePort } from '../chain/freePort.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { chainView, makePayments, type Payment, pool } from './payments.ts'

const count = 200
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let chain: LocalChain
let dataDir: string
let port: number
const children = new Set<ChildProcess>()

beforeAll(async () => {
  chain = await startLocalChain()
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-shutdown-'))
  port = await freePort()
})
afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
  await chain?.stop()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

/** Starts the facilitator as a child process on `port`; resolves once it logged `listening`. */
async function startChild(): Promise<{ child: ChildProcess; output: () => string }> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('TOLLGATE_')) env[key] = value
  }
  const child = spawn(process.execPath, [bin], {
    env: {
      ...env,
      TOLLGATE_PORT: String(port),
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_RECEIPT_TIMEOUT_MS: '4000',
      TOLLGATE_POLLING_INTERVAL_MS: '50',
      TOLLGATE_BATCH_SIZE: '10',
      TOLLGATE_BATCH_WAIT_MS: '20',
      TOLLGATE_SHUTDOWN_TIMEOUT_MS: '20000',
      // Not what this suite tests: no API keys, no rate limit.
      TOLLGATE_AUTH: 'off',
      TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8')
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      output = (output + chunk).slice(-20_000)
    })
    child.stdout?.on('data', (chunk: string) => {
      output = (output + chunk).slice(-20_000)
      if (/"msg":"listening"/.test(output)) resolve()
    })
    child.once('exit', (code) => reject(new Error(`facilitator exited ${code}: ${output}`)))
  })
  return { child, output: () => output }
}

type Answer =
  | { kind: 'settled'; transaction: string }
  | { kind: 'pending'; transaction: string }
  | { kind: 'draining' } // 503 facilitator_unavailable: refused cleanly, retry
  | { kind: 'refused-connection' } // the listener is closed: the request never reached it
  // An idle keep-alive connection closed at the end of the drain as the client wrote on it: the
  // request was not being served (only idle connections are closed), so it was not accepted;
  // /settle is idempotent on the authorization, so it is retried. Checked below against the chain.
  | { kind: 'reset' }
  | { kind: 'lost'; detail: string } // sent, and no answer: what must not happen
  | { kind: 'other'; detail: string }

async function settleOnce(payment: Payment): Promise<Answer> {
  let response: Response
  try {
    response = await fetch(`http://127.0.0.1:${port}/settle`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payment.body),
      signal: AbortSignal.timeout(30_000),
    })
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code
    if (code === 'ECONNREFUSED') return { kind: 'refused-connection' }
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { kind: 'reset' }
    return { kind: 'lost', detail: String(code ?? error) }
  }
  let answer: Record<string, unknown>
  try {
    answer = (await response.json()) as Record<string, unknown>
  } catch (error) {
    return { kind: 'lost', detail: `unreadable answer ${response.status}: ${String(error)}` }
  }
  if (answer.success === true) return { kind: 'settled', transaction: String(answer.transaction) }
  if (answer.errorReason === 'settlement_pending') return { kind: 'pending', transaction: String(answer.transaction) }
  if (response.status === 503 && answer.error === 'facilitator_unavailable') {
    expect(errorInfo('facilitator_unavailable').class).toBe('retryable')
    expect(response.headers.get('retry-after')).toBe('1')
    return { kind: 'draining' }
  }
  return { kind: 'other', detail: `${response.status} ${JSON.stringify(answer)}` }
}

/** Retries like a resource server until a final answer (bounded by `deadline`). */
async function settleUntilFinal(payment: Payment, deadline: number): Promise<string | undefined> {
  while (Date.now() < deadline) {
    const answer = await settleOnce(payment)
    if (answer.kind === 'settled') return answer.transaction
    if (answer.kind === 'other') {
      const code = /"errorReason":"([a-z_]+)"/.exec(answer.detail)?.[1]
      if (!isErrorCode(code) || errorInfo(code).class === 'invalid') throw new Error(answer.detail)
    }
    await sleep(200)
  }
  return undefined
}

test('behavior: SIGTERM during a burst of 200 settlements: accepted ones end settled on chain, the rest refused cleanly, exit 0', async () => {
  const payments = await makePayments(chain, count)
  const first = await startChild()
  const answers = new Map<string, Answer>()
  let signalled = false
  const exited = new Promise<number | null>((resolve) => first.child.once('exit', (code) => resolve(code)))
  const burst = pool(payments, 40, async (payment) => {
    answers.set(payment.id, await settleOnce(payment))
  })
  // SIGTERM once a quarter of the burst was answered: the rest is in flight or not sent yet.
  for (let i = 0; i < 600 && answers.size < count / 4; i++) await sleep(10)
  first.child.kill('SIGTERM')
  signalled = true
  await burst
  const code = await exited
  expect(signalled).toBe(true)
  expect(code, first.output().slice(-3_000)).toBe(0)

  const tally: Record<string, number> = {}
  for (const answer of answers.values()) tally[answer.kind] = (tally[answer.kind] ?? 0) + 1
  console.log(`SIGTERM burst: ${JSON.stringify(tally)}`)
  const problems = [...answers.values()].filter((a) => a.kind === 'lost' || a.kind === 'other')
  expect(problems).toEqual([])
  expect(answers.size).toBe(count)
  // Some were settled before the signal and some refused after it: the signal really came mid-burst.
  expect(tally.settled ?? 0).toBeGreaterThan(0)
  expect(tally.draining ?? 0).toBeGreaterThan(0)
  expect(first.output()).toMatch(/"msg":"shutdown: drained, stopping"/)

  // Before any restart: every accepted settlement is on chain, once; ledger = chain for all 200.
  const view = await chainView(chain, payments)
  const store = createSqliteStore({ dataDir })
  const ledger = new Map<string, LedgerEntry | undefined>()
  for (const payment of payments) ledger.set(payment.id, await store.get(payment.id))
  await store.close()
  for (const payment of payments) {
    const answer = answers.get(payment.id)
    const onChain = view.get(payment.id)
    const entry = ledger.get(payment.id)
    const where = `${payment.id}: ${JSON.stringify(answer)} ledger ${entry?.state}`
    expect(onChain?.logs ?? 0, where).toBeLessThanOrEqual(1)
    if (answer?.kind === 'settled' || answer?.kind === 'pending') {
      // Accepted: drained to the end (the process waited for its receipt before exiting).
      expect(onChain?.spent, where).toBe(true)
      expect(answer.transaction.toLowerCase(), where).toBe(onChain?.transactions[0]?.toLowerCase())
    } else {
      // Refused: nothing of it was sent.
      expect(onChain?.spent, where).toBe(false)
    }
    expect(entry?.state === 'settled', where).toBe(onChain?.spent === true)
  }

  // The refused ones can be retried: against the restarted service they settle.
  const second = await startChild()
  const deadline = Date.now() + 60_000
  const refused = payments.filter((p) => !['settled', 'pending'].includes(answers.get(p.id)?.kind ?? ''))
  const retried = new Map<string, string | undefined>()
  await pool(refused, 20, async (payment) => {
    retried.set(payment.id, await settleUntilFinal(payment, deadline))
  })
  const secondExit = new Promise<number | null>((resolve) => second.child.once('exit', (c) => resolve(c)))
  second.child.kill('SIGTERM')
  expect(await secondExit).toBe(0)
  const final = await chainView(chain, payments)
  for (const payment of refused) {
    expect(retried.get(payment.id), payment.id).toBeDefined()
    expect(final.get(payment.id)).toMatchObject({ spent: true, logs: 1 })
  }
  expect([...final.values()].filter((v) => v.spent && v.logs === 1)).toHaveLength(count)
}, 120_000)
