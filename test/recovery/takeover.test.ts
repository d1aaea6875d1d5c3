/**
 * A facilitator node on PostgreSQL killed with SIGKILL during 300 settlements and restarted with the
 * same signer key (a new process, the same default node id: host and port): the restarted node takes the signer's lease over
 * within seconds (fenced, short heartbeat lease), and finishes every settlement the dead process had
 * accepted without the resource server asking again. Each payment is sent to `/settle` once (a
 * refused connection, which never reached the server, is tried again); an answer lost to the kill or
 * `settlement_pending` is not asked again. Within 30 s of the restart every payment with a ledger row
 * is `settled` exactly once and the ledger matches the chain.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseAbiItem } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { freePort } from '../chain/freePort.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, dropSchema, postgresAvailable, query, uniqueSchema } from '../ledger/postgres.ts'
import { chainView, makePayments, type Payment, paymentValue, pool } from './payments.ts'

const count = 300
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

const available = await postgresAvailable('test/recovery/takeover')
const schema = uniqueSchema('takeover')
let chain: LocalChain | undefined
let port: number
const children: ChildProcess[] = []
let log = ''

beforeAll(async () => {
  if (!available) return
  chain = await startLocalChain()
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
  if (available) await dropSchema(schema)
})

/** Starts the facilitator's bin as a child process on `port` and the shared schema; resolves once it listens. */
async function startChild(local: LocalChain): Promise<ChildProcess> {
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
      [`TOLLGATE_RPC_URL_${local.chainId}`]: local.url,
      TOLLGATE_NETWORKS: local.network,
      TOLLGATE_DATABASE_URL: databaseUrl,
      TOLLGATE_DATABASE_SCHEMA: schema,
      TOLLGATE_RECEIPT_TIMEOUT_MS: '4000',
      TOLLGATE_POLLING_INTERVAL_MS: '100',
      TOLLGATE_RECONCILE_INTERVAL_MS: '1000',
      TOLLGATE_RECONCILE_STALE_SECONDS: '8',
      TOLLGATE_REPLACE_AFTER_MS: '3000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(started)
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
    started.once('exit', (code) => reject(new Error(`facilitator exited ${code}: ${output}${log}`)))
  })
  return started
}

type Outcome = { kind: 'settled' | 'pending' | 'lost' | 'refused'; code?: string; transaction?: string }

/** Asks `/settle` once; only a refused connection (the server is down: it never saw the request) is tried again. */
async function settleOnce(payment: Payment, deadline: number): Promise<Outcome> {
  while (Date.now() < deadline) {
    let answer: Record<string, unknown>
    try {
      const response = await fetch(`http://127.0.0.1:${port}/settle`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payment.body),
        signal: AbortSignal.timeout(20_000),
      })
      answer = (await response.json()) as Record<string, unknown>
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code
      if (code === 'ECONNREFUSED') {
        await sleep(50)
        continue
      }
      return { kind: 'lost', code: String(code) }
    }
    if (answer.success === true) return { kind: 'settled', transaction: String(answer.transaction) }
    const code = String(answer.errorReason ?? answer.error)
    return { kind: code === 'settlement_pending' ? 'pending' : 'refused', code }
  }
  return { kind: 'lost', code: 'deadline' }
}

type LedgerRow = { id: string; state: string; tx_hash: string | null }

describe.skipIf(!available)('a restarted node on PostgreSQL takes its signer over at once', () => {
  test('behavior: SIGKILL during 300 settlements, restart with the same key: all settled once within 30 s, ledger = chain', async () => {
    const local = chain as LocalChain
    const payments = await makePayments(local, count)
    const seller = local.accounts.seller.address
    const sellerBefore = await local.balanceOf(seller)
    const fromBlock = await local.publicClient.getBlockNumber()
    let child = await startChild(local)
    const started = Date.now()

    const outcomes = new Map<string, Outcome>()
    let restartedAt = 0
    let killedAt = 0
    let journaledAtRestart = 0
    const killer = (async () => {
      while (outcomes.size < count / 3) await sleep(10)
      // Kill while settlements are mid-way (claimed, or signed and recorded), bounded.
      for (const bound = Date.now() + 5_000; Date.now() < bound; ) {
        const [busy] = await query<{ n: string }>(
          `SELECT count(*) AS n FROM "${schema}".ledger WHERE state IN ('settling', 'submitted')`,
        )
        if (Number(busy?.n) >= 3) break
      }
      const victim = child
      const exited = new Promise((resolve) => victim.once('exit', resolve))
      victim.kill('SIGKILL')
      await exited
      killedAt = Date.now()
      const [journaled] = await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".transactions`)
      journaledAtRestart = Number(journaled?.n)
      const rows = await query<{ state: string; n: string }>(
        `SELECT state, count(*) AS n FROM "${schema}".ledger GROUP BY state ORDER BY state`,
      )
      console.log(
        `SIGKILL at ${killedAt - started} ms, ${outcomes.size} answered; ledger ${JSON.stringify(rows)}; ${journaledAtRestart} journaled`,
      )
      child = await startChild(local)
      restartedAt = Date.now()
      console.log(`restarted (listening) ${restartedAt - killedAt} ms after the kill`)
    })()

    // The restarted node signs once its journal grows (the dead process can write nothing).
    const takeover = (async () => {
      while (restartedAt === 0) await sleep(10)
      const bound = restartedAt + 30_000
      while (Date.now() < bound) {
        const [journaled] = await query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".transactions`)
        if (Number(journaled?.n) > journaledAtRestart) return Date.now() - restartedAt
        await sleep(50)
      }
      return Number.POSITIVE_INFINITY
    })()

    // Every payment the facilitator accepted (a ledger row) is finished by it, without being asked again.
    const ids = payments.map((payment) => payment.id)
    let rows: LedgerRow[] = []
    let streaming = true
    const settledAll = (async () => {
      while (restartedAt === 0) await sleep(10)
      for (const bound = restartedAt + 30_000; Date.now() < bound; await sleep(200)) {
        rows = await query<LedgerRow>(`SELECT id, state, tx_hash FROM "${schema}".ledger WHERE id = ANY($1::text[])`, [
          ids,
        ])
        if (!streaming && rows.every((row) => row.state === 'settled')) return Date.now() - restartedAt
      }
      return Number.POSITIVE_INFINITY
    })()

    await pool(payments, 16, async (payment) => {
      outcomes.set(payment.id, await settleOnce(payment, started + 120_000))
    })
    streaming = false
    await killer
    const kinds: Record<string, number> = {}
    for (const outcome of outcomes.values()) {
      const key = outcome.kind === 'refused' ? `refused:${outcome.code}` : outcome.kind
      kinds[key] = (kinds[key] ?? 0) + 1
    }
    console.log(`stream done ${Date.now() - restartedAt} ms after the restart: ${JSON.stringify(kinds)}`)
    const takeoverMs = await takeover
    console.log(
      `takeover: the restarted node signed ${takeoverMs} ms after listening (${restartedAt - killedAt} ms restart)`,
    )
    const settleAllMs = await settledAll
    const states: Record<string, number> = {}
    for (const row of rows) states[row.state] = (states[row.state] ?? 0) + 1
    console.log(
      `ledger ${JSON.stringify(states)} (${rows.length} rows), all settled ${settleAllMs} ms after the restart`,
    )

    const view = await chainView(local, payments)
    const transfers = await local.publicClient.getLogs({
      address: local.usdc,
      event: transferEvent,
      args: { to: seller },
      fromBlock,
    })
    const transfersIn = new Map<string, { from: string; value: bigint }[]>()
    for (const log of transfers) {
      const key = log.transactionHash.toLowerCase()
      transfersIn.set(key, [
        ...(transfersIn.get(key) ?? []),
        { from: String(log.args.from).toLowerCase(), value: log.args.value ?? 0n },
      ])
    }
    const byId = new Map(rows.map((row) => [row.id, row]))
    let settled = 0
    for (const payment of payments) {
      const row = byId.get(payment.id)
      const onChain = view.get(payment.id)
      const outcome = outcomes.get(payment.id)
      const where = `${payment.id}: ${JSON.stringify(outcome)} ledger ${row?.state} ${row?.tx_hash}`
      expect(onChain?.logs ?? 0, where).toBeLessThanOrEqual(1) // no authorization spent twice
      if (!row) {
        // Never accepted (the connection died before the row was written): nothing may have moved.
        expect(outcome?.kind, where).toBe('lost')
        expect(onChain?.spent, where).toBe(false)
        continue
      }
      expect(row.state, where).toBe('settled')
      expect(onChain?.spent, where).toBe(true)
      expect(row.tx_hash?.toLowerCase(), where).toBe(onChain?.transactions[0]?.toLowerCase())
      const moved = transfersIn.get(String(row.tx_hash).toLowerCase()) ?? []
      expect(
        moved.some((t) => t.from === payment.payer.toLowerCase() && t.value === paymentValue),
        where,
      ).toBe(true)
      if (outcome?.kind === 'settled')
        expect(outcome.transaction?.toLowerCase(), where).toBe(row.tx_hash?.toLowerCase())
      settled++
    }
    const sellerAfter = await local.balanceOf(seller)
    expect(sellerAfter - sellerBefore).toBe(BigInt(settled) * paymentValue)
    expect(transfers.reduce((sum, t) => sum + (t.args.value ?? 0n), 0n)).toBe(BigInt(settled) * paymentValue)
    console.log(`${settled} settled once, ${count - settled} never accepted`)
    expect(settled).toBeGreaterThan(count / 2)
    expect(takeoverMs).toBeLessThan(8_000)
    expect(settleAllMs).toBeLessThanOrEqual(30_000)
  }, 180_000)
})
