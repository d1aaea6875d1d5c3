/**
 * API keys shared by the nodes of one PostgreSQL ledger: a key created by the `keys` CLI against the
 * database works on both nodes, and once revoked (through the CLI again) is refused by both.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, postgresAvailable, query, stopLedgerSuite, uniqueSchema } from '../ledger/postgres.ts'

const available = await postgresAvailable('test/service/authShared')
const schema = uniqueSchema('keys')
const bin = new URL('../../apps/facilitator/bin/tollgate-facilitator.js', import.meta.url).pathname
const run = promisify(execFile)
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_'))) as NodeJS.ProcessEnv
const keys = (...args: string[]) =>
  run(process.execPath, [bin, 'keys', ...args], {
    env: { ...cleanEnv(), TOLLGATE_DATABASE_URL: databaseUrl, TOLLGATE_DATABASE_SCHEMA: schema },
  })

let chain: LocalChain
const nodes: RunningFacilitator[] = []

beforeAll(async () => {
  if (!available) return
  chain = await startLocalChain()
  for (const [index, key] of [devPrivateKeys[0], devPrivateKeys[9]].entries()) {
    nodes.push(
      await startFacilitator(
        {
          TOLLGATE_PORT: '0',
          TOLLGATE_SIGNER_KEY: key,
          TOLLGATE_NETWORKS: chain.network,
          [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
          TOLLGATE_DATABASE_URL: databaseUrl,
          TOLLGATE_DATABASE_SCHEMA: schema,
          TOLLGATE_AUTH_KEY_CACHE_MS: '0',
        },
        { nodeId: `keys-node-${index}`, logError: () => {} },
      ),
    )
  }
}, 60_000)

afterAll(() => stopLedgerSuite(nodes, chain, available ? schema : undefined))

async function verifyOn(node: RunningFacilitator, key: string, value: bigint) {
  const payer = chain.accounts.payers[3]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000) + 120),
  })
  const requirements = {
    scheme: 'exact',
    network: chain.network,
    amount: value.toString(),
    asset: chain.usdc,
    payTo: chain.accounts.seller.address,
    maxTimeoutSeconds: 120,
    extra: { name: 'USD Coin', version: '2' },
  }
  const response = await fetch(`${node.url}/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      x402Version: 2,
      paymentPayload: { x402Version: 2, accepted: requirements, payload },
      paymentRequirements: requirements,
    }),
  })
  return { status: response.status, json: await response.json() }
}

describe.skipIf(!available)('auth: keys shared on PostgreSQL', () => {
  test('default: a key created against the database works on both nodes; revoked, on neither', async () => {
    const created = JSON.parse(
      (await keys('create', '--scopes', 'verify', '--pay-to', chain.accounts.seller.address)).stdout,
    ) as { id: string; key: string }
    expect(await verifyOn(nodes[0] as RunningFacilitator, created.key, 1_000n)).toMatchObject({
      status: 200,
      json: { isValid: true },
    })
    expect(await verifyOn(nodes[1] as RunningFacilitator, created.key, 1_001n)).toMatchObject({
      status: 200,
      json: { isValid: true },
    })
    // Stored hashed: the table holds the SHA-256 of the key, never the key or its secret.
    const rows = await query<Record<string, unknown>>(`SELECT * FROM "${schema}".tollgate_api_keys`)
    expect(rows).toHaveLength(1)
    const secret = created.key.replace(/^tg_[0-9a-f]{16}_/, '') // base64url: may itself hold '_'
    expect(JSON.stringify(rows)).not.toContain(secret)
    await keys('revoke', created.id)
    for (const [index, node] of nodes.entries()) {
      expect(await verifyOn(node, created.key, 2_000n + BigInt(index))).toMatchObject({
        status: 401,
        json: { error: 'unauthorized' },
      })
    }
  })
})
