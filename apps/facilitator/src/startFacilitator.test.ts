/** startFacilitator over a local anvil: real HTTP, SQLite under a data directory, native recovery. */
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore, type Store } from '@tollgate/facilitator'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../../../test/chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../../../test/chain/localChain.ts'
import { databaseUrl, dropSchema, postgresAvailable, query, uniqueSchema } from '../../../test/ledger/postgres.ts'
import { createMemoryCatalogue, type ResourceCatalogue } from './discovery/catalogue.ts'
import { type ApiKeyStore, createApiKey, createMemoryApiKeyStore } from './http/apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from './startFacilitator.ts'

let chain: LocalChain
let running: RunningFacilitator
let apiKey: string
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-server-'))

beforeAll(async () => {
  chain = await startLocalChain()
  const apiKeys = createMemoryApiKeyStore()
  const created = await createApiKey({ scopes: ['verify', 'settle'], payTo: [chain.accounts.seller.address], now: 0n })
  await apiKeys.insert(created.record)
  apiKey = created.key
  running = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_POLLING_INTERVAL_MS: '20',
    },
    { apiKeys },
  )
})
afterAll(async () => {
  await running?.stop()
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('startFacilitator', () => {
  test('default: listens on 127.0.0.1 on a free port, signer from the key', async () => {
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(running.port).toBeGreaterThan(0)
    expect(running.signer).toBe(chain.accounts.facilitator.address)
    const health = await (await fetch(`${running.url}/health`)).json()
    expect(health).toEqual({ status: 'up' })
    expect(existsSync(join(dataDir, 'ledger.sqlite'))).toBe(true)
  })

  test('behavior: verifies and settles a payment over HTTP into the SQLite ledger', async () => {
    const payer = chain.accounts.payers[0]
    const before = await chain.balanceOf(payer.address)
    const payload = await chain.signTransferAuthorization({
      payer,
      to: chain.accounts.seller.address,
      value: 10_000n,
      validAfter: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) + 120),
    })
    const requirements = {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '10000',
      asset: chain.usdc,
      payTo: chain.accounts.seller.address,
      maxTimeoutSeconds: 120,
      extra: { name: 'USD Coin', version: '2' },
    }
    const body = JSON.stringify({
      x402Version: 2,
      paymentPayload: { x402Version: 2, accepted: requirements, payload },
      paymentRequirements: requirements,
    })
    const post = (path: string) =>
      fetch(`${running.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body,
      }).then((r) => r.json())
    expect(await post('/verify')).toEqual({ isValid: true, payer: payer.address })
    const settled = await post('/settle')
    expect(settled).toMatchObject({ success: true, network: 'eip155:8453', payer: payer.address })
    expect(await chain.balanceOf(payer.address)).toBe(before - 10_000n)
    const [entry] = await running.facilitator.store.list({ states: ['settled'] })
    expect(entry?.transaction).toBe(settled.transaction)
  })

  test('behavior: a bad configuration fails startup with the variable named', async () => {
    await expect(startFacilitator({ TOLLGATE_SIGNER_KEY: devPrivateKeys[0] })).rejects.toThrow(
      'Invalid configuration: TOLLGATE_RPC_URL_8453: is required because TOLLGATE_NETWORKS enables eip155:8453',
    )
  })

  test('behavior: a taken port fails startup and releases what it opened', async () => {
    await expect(
      startFacilitator({
        TOLLGATE_PORT: String(running.port),
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: join(dataDir, 'second'),
      }),
    ).rejects.toThrow(/EADDRINUSE/)
  })

  // The files this process holds open under `dir` (SQLite: the database, its WAL and shared memory).
  const openFilesUnder = (dir: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)
      } catch {
        return false
      }
    })

  // Closes counted: what the caller passes in is its own, used and never closed by the service.
  const counted = () => {
    const closed: string[] = []
    const store: Store = { ...createMemoryStore(), close: async () => void closed.push('store') }
    const apiKeys: ApiKeyStore = { ...createMemoryApiKeyStore(), close: async () => void closed.push('apiKeys') }
    const catalogue: ResourceCatalogue = {
      ...createMemoryCatalogue(),
      close: async () => void closed.push('catalogue'),
    }
    return { closed, passed: { store, apiKeys, catalogue } }
  }

  test('behavior: a start that fails late (Redis for the rate limits unreachable) closes every store it opened', async () => {
    const dir = join(dataDir, 'late')
    await expect(
      startFacilitator({
        TOLLGATE_PORT: '0',
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: dir,
        TOLLGATE_REDIS_URL: 'redis://127.0.0.1:1',
      }),
    ).rejects.toThrow()
    // The ledger, the API keys and the catalogue were opened (SQLite files), and are all closed.
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(true)
    expect(existsSync(join(dir, 'api-keys.sqlite'))).toBe(true)
    expect(openFilesUnder(dir)).toEqual([])
  })

  test('behavior: a taken port fails startup with no file of the data directory left open', async () => {
    const dir = join(dataDir, 'taken')
    await expect(
      startFacilitator({
        TOLLGATE_PORT: String(running.port),
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: dir,
      }),
    ).rejects.toThrow(/EADDRINUSE/)
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(true)
    expect(openFilesUnder(dir)).toEqual([])
  })

  test('behavior: a start that fails late (a taken port) leaves the stores the caller passed open', async () => {
    const { closed, passed } = counted()
    await expect(
      startFacilitator(
        {
          TOLLGATE_PORT: String(running.port),
          TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
          TOLLGATE_RPC_URL_8453: chain.url,
          TOLLGATE_DATA_DIR: join(dataDir, 'taken-passed'),
        },
        passed,
      ),
    ).rejects.toThrow(/EADDRINUSE/)
    expect(closed).toEqual([])
  })

  test('behavior: stop closes what the start opened, never the store, API keys or catalogue the caller passed', async () => {
    const { closed, passed } = counted()
    const started = await startFacilitator(
      {
        TOLLGATE_PORT: '0',
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: join(dataDir, 'passed'),
      },
      passed,
    )
    expect(await (await fetch(`${started.url}/health`)).json()).toEqual({ status: 'up' })
    await started.stop()
    await started.stop()
    expect(closed).toEqual([])
    await expect(fetch(`${started.url}/health`)).rejects.toThrow()
  })

  test('behavior: on PostgreSQL, a start that fails late ends every connection it opened', async () => {
    if (!(await postgresAvailable('apps/facilitator/startFacilitator'))) return
    const schema = uniqueSchema('start')
    // Its connections are told apart by their application_name.
    const name = `tollgate-start-${process.pid}-${Date.now().toString(36)}`
    const url = new URL(databaseUrl)
    url.searchParams.set('application_name', name)
    const connections = async () =>
      Number(
        (
          await query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name])
        )[0]?.n,
      )
    try {
      await expect(
        startFacilitator({
          TOLLGATE_PORT: '0',
          TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
          TOLLGATE_RPC_URL_8453: chain.url,
          TOLLGATE_DATABASE_URL: url.toString(),
          TOLLGATE_DATABASE_SCHEMA: schema,
          TOLLGATE_REDIS_URL: 'redis://127.0.0.1:1',
        }),
      ).rejects.toThrow()
      // The server notes a closed connection a moment later.
      let open = await connections()
      for (let i = 0; i < 40 && open > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        open = await connections()
      }
      expect(open).toBe(0)
    } finally {
      await dropSchema(schema)
    }
  })
})
