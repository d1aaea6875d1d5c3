/** The signer pool's fenced leases against a local anvil and a memory Store, with clocks held by the test. */
import { toExactAuthorization } from '@tollgate/evm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../../../../test/chain/localChain.ts'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import type { Store } from '../store/store.ts'
import { createSignerPool, type SignerPool } from './createSignerPool.ts'

let chain: LocalChain
beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(async () => {
  await chain?.stop()
})

const wall = () => BigInt(Math.floor(Date.now() / 1000))

async function payment(i: number) {
  const payer = chain.accounts.payers[i % 8] as (typeof chain.accounts.payers)[number]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 1_000n,
    validAfter: 0n,
    validBefore: wall() + 300n,
  })
  return {
    asset: chain.usdc,
    authorization: toExactAuthorization(payload.authorization),
    signature: { kind: 'eoa' as const, signature: payload.signature },
    beforeBroadcast: async () => undefined,
  }
}

/** A pool whose lease clocks the test moves: `at.ms` (monotonic) and `at.seconds` (the Store's). */
function leasedPool(store: Store, owner: string, at: { ms: number; seconds: bigint }): SignerPool {
  return createSignerPool(chain.publicClient, {
    accounts: [chain.accounts.facilitator],
    chainId: 8453,
    pollingIntervalMs: 20,
    clock: () => at.ms,
    leaseWaitMs: 0,
    journal: (transaction, lease) =>
      store.saveTransaction(
        { ...transaction, chainId: 8453, createdAt: at.seconds },
        lease ? { fence: { owner, epoch: lease.epoch, now: at.seconds } } : {},
      ),
    leases: {
      owner,
      validMs: 4_750,
      heartbeatMs: 60_000, // beats only when the test calls refresh()
      acquire: async (signer, epoch) =>
        (
          await store.acquireSigner({
            signer,
            owner,
            leaseSeconds: 6n,
            now: at.seconds,
            ...(epoch === undefined ? {} : { epoch }),
          })
        )?.epoch,
      release: (signer, epoch) => store.releaseSigner({ signer, owner, epoch }),
    },
  })
}

describe('createSignerPool with leases', () => {
  test('behavior: a holder whose lease ran out here stops signing at once; the next holder signs after taking over', async () => {
    const store = createMemoryStore()
    const at = { ms: 0, seconds: wall() }
    const a = leasedPool(store, 'node-a', at)
    const b = leasedPool(store, 'node-b', at)
    try {
      await a.refresh()
      await b.refresh()
      expect(a.signers()[0]?.leased).toBe(true)
      expect(b.signers()[0]?.leased).toBe(false)
      const sent = await a.submit(await payment(0))
      expect(sent.ok).toBe(true)
      const count = () =>
        chain.publicClient.getTransactionCount({ address: chain.accounts.facilitator.address, blockTag: 'pending' })
      const before = await count()

      // A paused: its last renewal is older than validMs, so it signs nothing more, even before anyone takes over.
      at.ms += 4_750
      expect(a.signers()[0]?.leased).toBe(false)
      const refused = await a.submit(await payment(1))
      expect(refused).toMatchObject({ ok: false, code: 'unexpected_settle_error' })
      expect(await count()).toBe(before)

      // The Store's lease runs out (6 s): B takes it (a new epoch) and signs; A cannot renew it.
      at.seconds += 6n
      await b.refresh()
      expect(b.signers()[0]?.leased).toBe(true)
      const taken = await b.submit(await payment(2))
      expect(taken.ok).toBe(true)
      expect(await count()).toBe(before + 1)
      await a.refresh()
      expect(a.signers()[0]?.leased).toBe(false)
    } finally {
      a.close()
      b.close()
    }
  })

  test('behavior: a restart under the same owner takes the lease at once, and the old epoch is fenced out', async () => {
    const store = createMemoryStore()
    const at = { ms: 0, seconds: wall() }
    const old = leasedPool(store, 'node-a', at)
    const restarted = leasedPool(store, 'node-a', at)
    try {
      await old.refresh()
      expect(old.signers()[0]?.leased).toBe(true)
      await restarted.refresh()
      expect(restarted.signers()[0]?.leased).toBe(true)
      // The old process still believes its lease valid here, but its journal write is fenced out:
      // nothing is broadcast, and it drops the signer.
      const before = await chain.publicClient.getTransactionCount({
        address: chain.accounts.facilitator.address,
        blockTag: 'pending',
      })
      const zombie = await old.submit(await payment(3))
      expect(zombie).toMatchObject({ ok: false, code: 'unexpected_settle_error' })
      expect(old.signers()[0]?.leased).toBe(false)
      expect(
        await chain.publicClient.getTransactionCount({
          address: chain.accounts.facilitator.address,
          blockTag: 'pending',
        }),
      ).toBe(before)
      expect((await restarted.submit(await payment(4))).ok).toBe(true)
    } finally {
      old.close()
      restarted.close()
    }
  })
})
