/**
 * Several facilitator nodes sharing one PostgreSQL ledger and one anvil: three in-process
 * `startFacilitator` services, each its own HTTP server and signer key (anvil accounts 0, 8, 9),
 * signer leases on. The same authorization sent 100 times across them lands once with 100
 * identical answers; 60 different authorizations sent across them all land exactly once.
 */
import type { ExactEvmPayload } from '@tollgate/protocol'
import { type Address, type Hex, parseAbiItem } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, postgresAvailable, query, stopLedgerSuite, uniqueSchema } from './postgres.ts'
import { postSettle, settleBody } from './settleBody.ts'

const available = await postgresAvailable('test/ledger/manyNodes')
const schema = uniqueSchema('nodes')
const signerKeys = [devPrivateKeys[0], devPrivateKeys[8], devPrivateKeys[9]] as const
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)')

let chain: LocalChain
const nodes: RunningFacilitator[] = []

beforeAll(async () => {
  if (!available) return
  chain = await startLocalChain()
  const started = await Promise.allSettled(
    signerKeys.map((key, index) =>
      startFacilitator(
        {
          TOLLGATE_PORT: '0',
          // Auth is not what this suite tests: explicitly off (see test/service/auth.test.ts).
          TOLLGATE_AUTH: 'off',
          TOLLGATE_SIGNER_KEY: key,
          TOLLGATE_NETWORKS: chain.network,
          [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
          TOLLGATE_DATABASE_URL: databaseUrl,
          TOLLGATE_DATABASE_SCHEMA: schema,
          TOLLGATE_POLLING_INTERVAL_MS: '50',
          TOLLGATE_RECEIPT_TIMEOUT_MS: '8000',
          // anvil now and then holds the next nonce in its queued pool; a replacement frees it (15 s by default).
          TOLLGATE_REPLACE_AFTER_MS: '2000',
        },
        { nodeId: `node-${index}`, logError: (error: unknown) => console.error(`node-${index}:`, error) },
      ),
    ),
  )
  for (const result of started) if (result.status === 'fulfilled') nodes.push(result.value)
  const failed = started.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
}, 60_000)

afterAll(() => stopLedgerSuite(nodes, chain, available ? schema : undefined))

async function settleAt(
  node: RunningFacilitator,
  payload: ExactEvmPayload,
  claim?: string,
): Promise<Record<string, unknown>> {
  const { status, json } = await postSettle(chain, node.url, payload, claim)
  expect(status).toBe(200)
  return json
}
const transfersFrom = async (from: Address) =>
  chain.publicClient.getLogs({ address: chain.usdc, event: transferEvent, args: { from }, fromBlock: 0n })

describe.skipIf(!available)('three facilitator nodes on one PostgreSQL ledger', () => {
  test('behavior: each node holds the lease of its own signer key, and only that one', async () => {
    // The signer pool takes its leases on first use or refresh.
    await Promise.all(nodes.flatMap((node) => [...node.facilitator.networks.values()].map((n) => n.settler.refresh())))
    const leases = await query<{ signer: string; owner: string }>(
      `SELECT signer, owner FROM "${schema}".signer_leases ORDER BY owner`,
    )
    expect(leases).toEqual(nodes.map((node, index) => ({ signer: node.signer.toLowerCase(), owner: `node-${index}` })))
    // A fourth node with node 0's key cannot take that signer while node 0 holds it.
    const store = (nodes[0] as RunningFacilitator).facilitator.store
    const now = BigInt(Math.floor(Date.now() / 1000))
    expect(
      await store.acquireSigner({
        signer: (nodes[0] as RunningFacilitator).signer,
        owner: 'node-3',
        leaseSeconds: 90n,
        now,
      }),
    ).toBeUndefined()
  })

  test('behavior: one authorization sent 100 times across 3 nodes: one transfer, 100 identical answers', async () => {
    const payer = chain.accounts.payers[0]
    const payload = await chain.signTransferAuthorization({
      payer,
      to: chain.accounts.seller.address,
      value: 10_000n,
      validAfter: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000)) + 600n,
    })
    const seller = await chain.balanceOf(chain.accounts.seller.address)
    const started = performance.now()
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => settleAt(nodes[i % 3] as RunningFacilitator, payload)),
    )
    const ms = Math.round(performance.now() - started)
    const distinct = new Set(answers.map((answer) => JSON.stringify(answer)))
    console.log(`100 concurrent /settle of one authorization on 3 nodes: ${ms} ms, ${distinct.size} distinct answer(s)`)
    expect([...distinct]).toHaveLength(1)
    expect(answers[0]).toMatchObject({ success: true, payer: payer.address })
    expect((await chain.balanceOf(chain.accounts.seller.address)) - seller).toBe(10_000n)
    expect(await transfersFrom(payer.address)).toHaveLength(1)
    const [row] = await query<{ state: string; tx_hash: string }>(
      `SELECT state, tx_hash FROM "${schema}".ledger WHERE nonce = $1`,
      [payload.authorization.nonce],
    )
    expect(row).toEqual({ state: 'settled', tx_hash: answers[0]?.transaction })
  })

  test('behavior: one payment verified 30 times across 3 nodes: exactly one isValid, then released and settled', async () => {
    const payload = await chain.signTransferAuthorization({
      payer: chain.accounts.payers[0],
      to: chain.accounts.seller.address,
      value: 10_000n,
      validAfter: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000)) + 600n,
    })
    // Thirty resource-server requests, each with its own claim.
    const claim = (i: number) => `resource-server-request-${i}`
    const call = (node: RunningFacilitator, path: string, i: number) =>
      fetch(`${node.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(settleBody(chain, payload, claim(i))),
      }).then((response) => response.json() as Promise<Record<string, unknown>>)
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(nodes[i % 3] as RunningFacilitator, '/verify', i)),
    )
    expect(answers.filter((answer) => answer.isValid === true)).toHaveLength(1)
    expect(answers.filter((answer) => answer.invalidReason === 'authorization_in_use')).toHaveLength(29)
    const holder = answers.findIndex((answer) => answer.isValid === true)
    // Only the holder releases, on any node; the payment verifies again on another, and settles on the third.
    expect(await call(nodes[1] as RunningFacilitator, '/release', holder + 1)).toEqual({ released: false })
    expect(await call(nodes[1] as RunningFacilitator, '/release', holder)).toEqual({ released: true })
    expect(await call(nodes[2] as RunningFacilitator, '/verify', 100)).toMatchObject({ isValid: true })
    // While that request holds it, nobody else settles it; the holder does, on any node.
    expect(await settleAt(nodes[0] as RunningFacilitator, payload)).toMatchObject({
      success: false,
      errorReason: 'authorization_in_use',
    })
    expect(await settleAt(nodes[0] as RunningFacilitator, payload, claim(100))).toMatchObject({ success: true })
  })

  test('behavior: 60 different authorizations across 3 nodes, concurrently: each lands exactly once', async () => {
    const payers = chain.accounts.payers.slice(1, 6)
    const validBefore = BigInt(Math.floor(Date.now() / 1000)) + 600n
    const payloads = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        chain.signTransferAuthorization({
          payer: payers[i % payers.length] as (typeof payers)[number],
          to: chain.accounts.seller.address,
          value: 10_000n,
          validAfter: 0n,
          validBefore,
        }),
      ),
    )
    const seller = await chain.balanceOf(chain.accounts.seller.address)
    const started = performance.now()
    const answers = await Promise.all(
      payloads.map((payload, i) => settleAt(nodes[i % 3] as RunningFacilitator, payload)),
    )
    const ms = Math.round(performance.now() - started)
    console.log(`60 different authorizations on 3 nodes: ${ms} ms (${((60 * 1000) / ms).toFixed(1)} settlements/s)`)
    const failures = answers.filter((answer) => answer.success !== true)
    if (failures.length > 0) console.log(JSON.stringify(failures.slice(0, 3)))
    expect(failures).toHaveLength(0)
    expect((await chain.balanceOf(chain.accounts.seller.address)) - seller).toBe(600_000n)
    for (const payer of payers) expect(await transfersFrom(payer.address)).toHaveLength(12)
    const rows = await query<{ state: string; signer: string; count: string }>(
      `SELECT state, signer, count(*) FROM "${schema}".ledger WHERE nonce = ANY($1::text[]) GROUP BY state, signer ORDER BY signer`,
      [payloads.map((payload) => payload.authorization.nonce as Hex)],
    )
    expect(rows.every((row) => row.state === 'settled')).toBe(true)
    expect(rows.reduce((sum, row) => sum + Number(row.count), 0)).toBe(60)
    // Every node settled its own share from its own signer.
    expect(rows.map((row) => row.signer.toLowerCase()).sort()).toEqual(
      nodes.map((node) => node.signer.toLowerCase()).sort(),
    )
  })
})
