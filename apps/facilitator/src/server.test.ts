/** startFacilitator over a local anvil: real HTTP, SQLite under a data directory, native recovery. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../../../test/chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../../../test/chain/localChain.ts'
import { createApiKey, createMemoryApiKeyStore } from './apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from './server.ts'

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
      // anvil's fees (about 1 gwei) would make the default gas policy refuse every test payment.
      TOLLGATE_MAX_GAS_SHARE: 'off',
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
        // anvil's fees (about 1 gwei) would make the default gas policy refuse every test payment.
        TOLLGATE_MAX_GAS_SHARE: 'off',
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: join(dataDir, 'second'),
      }),
    ).rejects.toThrow(/EADDRINUSE/)
  })
})
