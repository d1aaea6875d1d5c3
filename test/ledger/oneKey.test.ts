/**
 * Any node settles: three facilitator nodes on one PostgreSQL ledger configured with one signer key
 * (one funded hot wallet, its lease held by one node at a time). A node that cannot sign hands the
 * settlement over through the ledger (`requested`) to the node that holds the lease, and answers its
 * buyer from the ledger: the same authorization sent 150 times over the three settles once, every
 * answer naming the transaction; distinct payments sent to any node all land. A node with no signer
 * that can pay for gas, here or elsewhere, says so at once (503 with Retry-After, and `/ready`) and
 * leaves nothing behind.
 */
import type { ExactEvmPayload } from '@tollgate/protocol'
import { type Address, type Hex, parseAbiItem } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { signPayment } from '../engine/syncRun.ts'
import { databaseUrl, postgresAvailable, query, stopLedgerSuite, uniqueSchema } from './postgres.ts'
import { postSettle } from './settleBody.ts'

const available = await postgresAvailable('test/ledger/oneKey')
const schema = uniqueSchema('onekey')
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

let chain: LocalChain
const nodes: RunningFacilitator[] = []

const env = (key: Hex) => ({
  TOLLGATE_PORT: '0',
  // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
  TOLLGATE_AUTH: 'off',
  TOLLGATE_SIGNER_KEY: key,
  TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
  TOLLGATE_MAX_IN_FLIGHT_PER_PAYER: '1000',
  TOLLGATE_NETWORKS: chain.network,
  [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
  TOLLGATE_DATABASE_URL: databaseUrl,
  TOLLGATE_DATABASE_SCHEMA: schema,
  TOLLGATE_POLLING_INTERVAL_MS: '50',
  TOLLGATE_RECEIPT_TIMEOUT_MS: '8000',
})
const start = (key: Hex, id: string) =>
  startFacilitator(env(key), {
    nodeId: id,
    requireAdmin: async () => true,
    logError: (error: unknown) => console.error(`${id}:`, error),
  })

beforeAll(async () => {
  if (!available) return
  chain = await startLocalChain()
  // One after the other: the first takes the key's lease, the others find it held.
  for (let index = 0; index < 3; index++) nodes.push(await start(devPrivateKeys[0], `one-key-${index}`))
}, 90_000)

afterAll(() => stopLedgerSuite(nodes, chain, available ? schema : undefined))

const settleAt = (node: RunningFacilitator, payload: ExactEvmPayload, claim?: string) =>
  postSettle(chain, node.url, payload, claim)
const sign = (payer: number) => signPayment(chain, payer)
const transfersFrom = async (from: Address) =>
  chain.publicClient.getLogs({ address: chain.usdc, event: transferEvent, args: { from }, fromBlock: 0n })
const leaseOf = (signer: Address) =>
  query<{ owner: string }>(`SELECT owner FROM "${schema}".signer_leases WHERE signer = $1`, [signer.toLowerCase()])

describe.skipIf(!available)('three nodes on one PostgreSQL ledger, one signer key', () => {
  test('behavior: one node holds the key, the other two are ready and hand their settlements over', async () => {
    const [lease] = await leaseOf(nodes[0]?.signer as Address)
    expect(lease?.owner).toBe('one-key-0')
    for (const node of nodes) {
      const response = await fetch(`${node.url}/ready`)
      const readiness = (await response.json()) as { ready: boolean; checks: { signer: Record<string, unknown> } }
      expect(response.status, JSON.stringify(readiness)).toBe(200)
      expect(readiness.checks.signer[chain.network]).toMatchObject({ ok: true })
    }
  })

  test('behavior: one authorization sent 150 times over the 3 nodes settles once, every answer naming the transaction', async () => {
    const payload = await sign(0)
    const seller = await chain.balanceOf(chain.accounts.seller.address)
    const started = performance.now()
    // 150 resource-server requests, each with its own claim: one delivery, every answer with the transaction.
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        settleAt(nodes[i % 3] as RunningFacilitator, payload, `resource-server-request-${i}`),
      ),
    )
    const ms = Math.round(performance.now() - started)
    const kinds: Record<string, number> = {}
    for (const { json } of answers) {
      const kind = json.success === true ? 'success' : String(json.errorReason ?? json.error)
      kinds[kind] = (kinds[kind] ?? 0) + 1
    }
    console.log(`150 /settle of one authorization over 3 nodes sharing one key: ${ms} ms, ${JSON.stringify(kinds)}`)
    expect(answers.every(({ status }) => status === 200)).toBe(true)
    const transactions = new Set(answers.map(({ json }) => json.transaction))
    expect(transactions.size).toBe(1)
    const [transaction] = [...transactions]
    expect(transaction).toMatch(/^0x[0-9a-f]{64}$/)
    expect(kinds).toEqual({ success: 1, payment_already_delivered: 149 })
    expect((await chain.balanceOf(chain.accounts.seller.address)) - seller).toBe(10_000n)
    expect(await transfersFrom(payload.authorization.from as Address)).toHaveLength(1)
    const [row] = await query<{ state: string; tx_hash: string; signer: string }>(
      `SELECT state, tx_hash, signer FROM "${schema}".ledger WHERE nonce = $1`,
      [payload.authorization.nonce],
    )
    expect({ ...row, signer: row?.signer.toLowerCase() }).toEqual({
      state: 'settled',
      tx_hash: transaction,
      signer: String(nodes[0]?.signer).toLowerCase(),
    })
  }, 60_000)

  test('behavior: 45 different payments sent to the 3 nodes all land once, each answered with its transaction', async () => {
    const payloads = await Promise.all(Array.from({ length: 45 }, (_, i) => sign(1 + (i % 5))))
    const seller = await chain.balanceOf(chain.accounts.seller.address)
    const answers = await Promise.all(
      payloads.map((payload, i) => settleAt(nodes[i % 3] as RunningFacilitator, payload)),
    )
    const failures = answers.filter(({ json }) => json.success !== true)
    if (failures.length > 0) console.log(JSON.stringify(failures.slice(0, 3)))
    expect(failures).toHaveLength(0)
    expect((await chain.balanceOf(chain.accounts.seller.address)) - seller).toBe(450_000n)
    const rows = await query<{ state: string; tx_hash: string }>(
      `SELECT state, tx_hash FROM "${schema}".ledger WHERE nonce = ANY($1::text[])`,
      [payloads.map((payload) => payload.authorization.nonce)],
    )
    expect(rows).toHaveLength(45)
    expect(rows.every((row) => row.state === 'settled')).toBe(true)
    const byNonce = new Map(payloads.map((payload, i) => [payload.authorization.nonce, answers[i]?.json.transaction]))
    for (const payload of payloads) {
      const [row] = await query<{ tx_hash: string }>(`SELECT tx_hash FROM "${schema}".ledger WHERE nonce = $1`, [
        payload.authorization.nonce,
      ])
      expect(byNonce.get(payload.authorization.nonce)).toBe(row?.tx_hash)
    }
  }, 60_000)

  test('behavior: a node whose only signer cannot pay for gas, held by nobody else, answers 503 at once and leaves nothing', async () => {
    // A fourth node on the same ledger with a key of its own and no ETH: nobody can sign for it.
    const broke = await start(generatePrivateKey(), 'one-key-broke')
    try {
      const payload = await sign(6)
      const started = performance.now()
      const answer = await settleAt(broke, payload)
      const ms = performance.now() - started
      expect(answer.status).toBe(503)
      expect(answer.retryAfter).toBe('2')
      expect(answer.json).toMatchObject({ error: 'facilitator_unavailable' })
      expect(ms).toBeLessThan(3_000)
      const response = await fetch(`${broke.url}/ready`)
      const readiness = (await response.json()) as { checks: { signer: Record<string, { ok: boolean }> } }
      expect(response.status).toBe(503)
      expect(readiness.checks.signer[chain.network]?.ok).toBe(false)
      // Nothing claimed or handed over: no row that nobody would settle.
      const rows = await query(`SELECT state FROM "${schema}".ledger WHERE nonce = $1`, [payload.authorization.nonce])
      expect(rows).toHaveLength(0)
      // The same payment at a node of the shared key settles.
      expect((await settleAt(nodes[1] as RunningFacilitator, payload)).json).toMatchObject({ success: true })
    } finally {
      await broke.stop()
    }
  }, 60_000)
})
