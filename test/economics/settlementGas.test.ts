/**
 * The gas a settlement uses, measured again on a real anvil: one EOA, ERC-1271 and ERC-6492 payment
 * settled alone, and EOA payments in Multicall3 batches of 2 and 40. The policy's constants
 * (`settlementGasUsed`) must stay within 3% of what the chain says.
 */
import { gasUsedPerPayment, settlementGasUsed } from '@tollgate/facilitator'
import type { Hex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { smartWalletFactory } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from '../facilitator/fixture.ts'
import { wrap6492 } from '../facilitator/signatures.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture({ receiptTimeoutMs: 20_000 })
})
afterAll(() => f?.stop())

const salt = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`
const gasOf = async (hash: unknown) => (await f.chain.publicClient.getTransactionReceipt({ hash: hash as Hex })).gasUsed
const within = (measured: bigint, expected: bigint) => {
  const drift = Number(measured - expected) / Number(expected)
  expect(Math.abs(drift), `measured ${measured}, constant ${expected}`).toBeLessThanOrEqual(0.03)
}

describe('settlement gas used', () => {
  test('one payment settled alone, per signature kind', async () => {
    // Warm the seller's balance slot the way a live seller's is (non-zero): the first payment pays more.
    await f.post('/settle', f.bodyV2(await f.sign(f.chain.accounts.payers[0])))
    const eoa = await f.post('/settle', f.bodyV2(await f.sign(f.chain.accounts.payers[1])))
    const owner = f.chain.accounts.payers[4]
    const wallet = await f.chain.deploySmartWallet({ owner: owner.address, salt: salt(1) })
    await f.chain.mint({ to: wallet, value: 50_000n })
    const erc1271 = await f.post('/settle', f.bodyV2(await f.sign(owner, { from: wallet })))
    const undeployed = await f.chain.publicClient.readContract({
      address: f.chain.factory,
      abi: smartWalletFactory.abi,
      functionName: 'getAddress',
      args: [owner.address, salt(2)],
    })
    await f.chain.mint({ to: undeployed, value: 50_000n })
    const payload = await f.sign(owner, { from: undeployed })
    const wrapped = { ...payload, signature: wrap6492(f.chain.factory, owner, salt(2), payload.signature) }
    const erc6492 = await f.post('/settle', f.bodyV2(wrapped))
    const measured = {
      eoa: await gasOf(eoa.json.transaction),
      erc1271: await gasOf(erc1271.json.transaction),
      erc6492: await gasOf(erc6492.json.transaction),
    }
    console.info('gas used alone', measured)
    within(measured.eoa, settlementGasUsed.eoa)
    within(measured.erc1271, settlementGasUsed.erc1271)
    within(measured.erc6492, settlementGasUsed.erc6492)
  })

  test('EOA payments in Multicall3 batches of 2 and 40', async () => {
    const batchOf = async (size: number, signer: (typeof f.chain.accounts.payers)[number]) => {
      const peer = f.peer({ account: signer, batch: { maxSize: size, maxWaitMs: 5_000 }, receiptTimeoutMs: 20_000 })
      try {
        const payers = f.chain.accounts.payers.slice(0, 4)
        const payloads = await Promise.all(
          Array.from({ length: size }, (_, i) => f.sign(payers[i % payers.length] as (typeof payers)[number])),
        )
        const answers = await Promise.all(payloads.map((payload) => peer.post('/settle', f.bodyV2(payload))))
        const hashes = new Set(answers.map((answer) => answer.json.transaction))
        expect(hashes.size).toBe(1)
        return await gasOf([...hashes][0])
      } finally {
        await peer.close()
      }
    }
    const two = await batchOf(2, f.chain.accounts.payers[6])
    const forty = await batchOf(40, f.chain.accounts.payers[7])
    const perPayment = (forty - two) / 38n
    const overhead = two - 2n * perPayment
    console.info('gas used batched', { two, forty, perPayment, overhead })
    within(perPayment, settlementGasUsed.batchPerPayment)
    within(forty, settlementGasUsed.batchOverhead + 40n * settlementGasUsed.batchPerPayment)
    expect(gasUsedPerPayment('eoa', 40)).toBeLessThan(gasUsedPerPayment('eoa', 1))
  }, 60_000)
})
