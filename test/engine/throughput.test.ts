/**
 * Settlement throughput on a real anvil: 1,000 concurrent settlements through one node and one
 * signer land exactly once with no nonce error; a four-signer pool spreads work and reports its
 * signers on /ready (admin); the gas policy refuses payments not worth their gas.
 */
import { createFacilitator, createMemoryStore } from '@tollgate/facilitator'
import type { Address, Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { createApp } from '../../apps/facilitator/src/http/app.ts'
import { checkReady } from '../../apps/facilitator/src/ops/ready.ts'
import { testUsdc } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from '../facilitator/fixture.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture({ receiptTimeoutMs: 45_000, pollingIntervalMs: 50 })
})
afterAll(() => f?.stop())

const txCount = (address: Address) => f.chain.publicClient.getTransactionCount({ address, blockTag: 'latest' })

async function authorizationStates(entries: readonly { from: Address; nonce: Hex }[]): Promise<boolean[]> {
  const results = await f.chain.publicClient.multicall({
    allowFailure: false,
    batchSize: 4_096,
    contracts: entries.map(({ from, nonce }) => ({
      address: f.usdc,
      abi: testUsdc.abi,
      functionName: 'authorizationState',
      args: [from, nonce],
    })),
  })
  return results as boolean[]
}

describe('engine throughput', () => {
  test('1,000 settlements submitted concurrently through one node and one signer: all land exactly once', async () => {
    const signer = f.chain.accounts.facilitator.address
    const payers = f.chain.accounts.payers // 8 payers x 125 authorizations
    const payloads = (
      await Promise.all(payers.map((payer) => Promise.all(Array.from({ length: 125 }, () => f.sign(payer)))))
    ).flat()
    expect(payloads).toHaveLength(1_000)
    const [sellerBefore, nonceBefore] = await Promise.all([f.chain.balanceOf(f.payTo), txCount(signer)])

    const started = performance.now()
    const answers = await Promise.all(payloads.map((payload) => f.post('/settle', f.bodyV2(payload))))
    const seconds = (performance.now() - started) / 1000
    console.info(`1,000 concurrent settlements, one signer: ${seconds.toFixed(1)} s, ${(1000 / seconds).toFixed(0)}/s`)

    const failures = answers.filter((answer) => answer.json.success !== true)
    expect(failures.slice(0, 3)).toEqual([])
    const hashes = new Set(answers.map((answer) => answer.json.transaction))
    expect(hashes.size).toBe(1_000)
    expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 1_000n * 10_000n)
    const states = await authorizationStates(
      payloads.map(({ authorization }) => ({ from: authorization.from, nonce: authorization.nonce })),
    )
    expect(states.every(Boolean)).toBe(true)
    // One transaction per settlement and nothing else: no gap fillers, no nonce errors, no repeats.
    expect((await txCount(signer)) - nonceBefore).toBe(1_000)
    expect(await f.facilitator.store.list({ states: ['settled'], limit: 2_000 })).toHaveLength(1_000 + 0)
  }, 58_000)

  test('a four-signer pool spreads settlements over every signer and reports them on /ready (admin)', async () => {
    const signers = f.chain.accounts.payers.slice(4, 8) // dev keys with ETH; they sign no authorizations here
    const payers = f.chain.accounts.payers.slice(0, 4)
    const pooled = createFacilitator(
      {
        store: createMemoryStore(),
        networks: [{ network: f.chain.network, client: f.chain.publicClient, accounts: signers }],
      },
      { recover: createNativeRecover(), pollingIntervalMs: 50, receiptTimeoutMs: 30_000 },
    )
    try {
      const app = createApp(pooled, {
        requireAdmin: () => true,
        ready: () => checkReady(pooled, { minBalance: 10n ** 15n }),
      })
      const before = await Promise.all(signers.map((signer) => txCount(signer.address)))
      const payloads = (
        await Promise.all(payers.map((payer) => Promise.all(Array.from({ length: 50 }, () => f.sign(payer)))))
      ).flat()
      const answers = await Promise.all(
        payloads.map(async (payload) => {
          const response = await app.request('/settle', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(f.bodyV2(payload)),
          })
          return (await response.json()) as Record<string, unknown>
        }),
      )
      expect(answers.filter((answer) => answer.success !== true)).toEqual([])
      const after = await Promise.all(signers.map((signer) => txCount(signer.address)))
      const used = after.map((count, i) => count - (before[i] as number))
      console.info(`four-signer pool, 200 settlements: transactions per signer ${used.join(', ')}`)
      expect(used.reduce((a, b) => a + b, 0)).toBe(200)
      for (const count of used) expect(count).toBeGreaterThan(20)

      // The signers' state is on /ready for admin (the public /health says only up or down).
      const ready = (await (await app.request('/ready')).json()) as {
        ready: boolean
        signers: { address: string; balance: string | null; inFlight: number; low: boolean; leased: boolean }[]
      }
      expect(ready.ready).toBe(true)
      expect(ready.signers.map((signer) => signer.address)).toEqual(signers.map((signer) => signer.address))
      expect(ready.signers).toHaveLength(4)
      for (const status of ready.signers) {
        expect(status).toMatchObject({ inFlight: 0, low: false, leased: true })
        expect(BigInt(status.balance ?? '0')).toBeGreaterThan(10n ** 18n)
      }
    } finally {
      await pooled.close()
    }
  }, 40_000)

  test('a signer that cannot pay for gas is reported low and skipped', async () => {
    const [poor, rich] = f.chain.accounts.payers.slice(6, 8) as [
      (typeof f.chain.accounts.payers)[number],
      (typeof f.chain.accounts.payers)[number],
    ]
    const poorBalance = await f.chain.publicClient.getBalance({ address: poor.address })
    await f.chain.testClient.setBalance({ address: poor.address, value: 1_000n })
    const pooled = createFacilitator(
      {
        store: createMemoryStore(),
        networks: [{ network: f.chain.network, client: f.chain.publicClient, accounts: [poor, rich] }],
      },
      { recover: createNativeRecover(), pollingIntervalMs: 50, receiptTimeoutMs: 20_000 },
    )
    try {
      const app = createApp(pooled)
      const before = await txCount(poor.address)
      const payloads = await Promise.all(Array.from({ length: 10 }, () => f.sign(f.chain.accounts.payers[0])))
      for (const payload of payloads) {
        const response = await app.request('/settle', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(f.bodyV2(payload)),
        })
        expect(((await response.json()) as { success: boolean }).success).toBe(true)
      }
      expect(await txCount(poor.address)).toBe(before)
      const status = pooled.networks.get(f.chain.network)?.settler.signers()
      expect(status?.find((signer) => signer.address === poor.address)).toMatchObject({ balance: 1_000n, low: true })
      expect(status?.find((signer) => signer.address === rich.address)).toMatchObject({ low: false })
    } finally {
      await pooled.close()
      await f.chain.testClient.setBalance({ address: poor.address, value: poorBalance })
    }
  }, 30_000)

  test('with leases, only signers this node holds are used; a lease taken back re-reads the nonce', async () => {
    const [held, elsewhere] = f.chain.accounts.payers.slice(4, 6) as [
      (typeof f.chain.accounts.payers)[number],
      (typeof f.chain.accounts.payers)[number],
    ]
    const ours = new Set([held.address])
    const store = createMemoryStore()
    const now = () => BigInt(Math.floor(Date.now() / 1000))
    const pooled = createFacilitator(
      {
        store,
        networks: [
          {
            network: f.chain.network,
            client: f.chain.publicClient,
            accounts: [held, elsewhere],
            // The other signer's lease is held elsewhere; ours is the Store's (journal writes are fenced).
            leases: {
              owner: 'node-a',
              validMs: 50_000,
              acquire: async (signer, epoch) =>
                ours.has(signer)
                  ? (
                      await store.acquireSigner({
                        signer,
                        owner: 'node-a',
                        leaseSeconds: 60n,
                        now: now(),
                        ...(epoch ? { epoch } : {}),
                      })
                    )?.epoch
                  : undefined,
              release: async () => undefined,
            },
          },
        ],
      },
      { recover: createNativeRecover(), pollingIntervalMs: 50, receiptTimeoutMs: 20_000 },
    )
    try {
      const app = createApp(pooled)
      const before = await txCount(elsewhere.address)
      const settleAll = (count: number) =>
        Promise.all(
          Array.from({ length: count }, async () => {
            const response = await app.request('/settle', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(f.bodyV2(await f.sign(f.chain.accounts.payers[2]))),
            })
            return ((await response.json()) as { success: boolean }).success
          }),
        )
      expect(await settleAll(6)).toEqual(Array(6).fill(true))
      expect(await txCount(elsewhere.address)).toBe(before)
      // The other node used the key meanwhile; then the lease comes to us.
      const other = f.chain.walletClient(elsewhere)
      await f.chain.publicClient.waitForTransactionReceipt({
        hash: await other.sendTransaction({ to: elsewhere.address, value: 0n }),
      })
      ours.add(elsewhere.address)
      await pooled.networks.get(f.chain.network)?.settler.refresh()
      ours.delete(held.address)
      await pooled.networks.get(f.chain.network)?.settler.refresh()
      expect(await settleAll(4)).toEqual(Array(4).fill(true))
      expect(await txCount(elsewhere.address)).toBe(before + 1 + 4)
    } finally {
      await pooled.close()
    }
  }, 30_000)

  test('the gas policy refuses a payment whose gas costs more than the configured share (amount_too_low)', async () => {
    const guarded = f.peer({
      account: f.chain.accounts.facilitator,
      gasPolicy: { ethPrice: '3000', maxShare: '0.5' },
    })
    try {
      // anvil's fees are well below 1 gwei after a while; a payment at the minimum amount (1000 atomic
      // units, $0.001) is still not worth 150k gas at half its value.
      const tiny = await f.sign(f.chain.accounts.payers[1], { value: 1_000n })
      const refused = await guarded.post('/settle', f.bodyV2(tiny, f.requirementsV2({ amount: '1000' })))
      expect(refused.json).toMatchObject({ success: false, errorReason: 'amount_too_low', transaction: '' })
      expect(String(refused.json.errorMessage)).toMatch(/more than 0\.5 of the payment/)
      // Nothing was reserved: the same authorization settles through a node without the policy.
      const settled = await f.post('/settle', f.bodyV2(tiny, f.requirementsV2({ amount: '1000' })))
      expect(settled.json.success).toBe(true)
      const fine = await f.sign(f.chain.accounts.payers[1], { value: 10_000_000n })
      const accepted = await guarded.post('/settle', f.bodyV2(fine, f.requirementsV2({ amount: '10000000' })))
      expect(accepted.json.success).toBe(true)
    } finally {
      await guarded.close()
    }
  }, 30_000)
})
