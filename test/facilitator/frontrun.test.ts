/**
 * A buyer front-runs its own nonce (issue 8 item 1): /verify passes for authorization A (to the seller,
 * the price, nonce N), then the payer lands its own authorization B under the same nonce N straight
 * on the token. A's /settle must then fail with `invalid_exact_evm_nonce_already_used`, the ledger row
 * must end `failed`, and the seller must be shown no success it was not paid. Real anvil, the real
 * facilitator app over `app.request`.
 */
import { encodeAggregate3, multicall3Address, toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
import type { ExactEvmPayload } from '@tollgate/protocol'
import { type Address, encodeFunctionData, erc20Abi, type Hex, type LocalAccount, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Fixture, startFixture } from './fixture.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(async () => {
  await f?.chain.testClient.setAutomine(true).catch(() => undefined)
  await f?.chain.testClient.setIntervalMining({ interval: 1 }).catch(() => undefined)
  await f?.stop()
})

const randomNonce = (): Hex => toHex(crypto.getRandomValues(new Uint8Array(32)))
const callOf = (payload: ExactEvmPayload) =>
  transferWithAuthorizationData(toExactAuthorization(payload.authorization), payload.signature as Hex)
const txCount = (address: Address) => f.chain.publicClient.getTransactionCount({ address })

/** Sends `data` to `to` from `sender` and waits for a successful receipt. */
async function land(sender: LocalAccount, to: Address, data: Hex): Promise<Hex> {
  const hash = await f.chain.walletClient(sender).sendTransaction({ to, data, gas: 300_000n })
  expect((await f.chain.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
  return hash
}

/** A verified A, and B: another authorization of the same payer under A's nonce. */
async function verifiedWithTwin(payer: LocalAccount, twin: { to: Address; value: bigint }) {
  const nonce = randomNonce()
  const a = await f.sign(payer, { nonce })
  expect((await f.post('/verify', f.bodyV2(a))).json.isValid).toBe(true)
  const b = await f.sign(payer, { nonce, ...twin })
  return { a, b }
}

const entryOf = async (payer: Address, nonce: string) =>
  (
    await f.facilitator.store.list({
      states: ['settled', 'failed', 'reserved', 'settling', 'submitted'],
      limit: 10_000,
    })
  )
    .filter((entry) => entry.payer === payer && entry.nonce === nonce)
    .at(0)

describe('settle: the payer front-runs its own nonce', () => {
  test.each([
    ['1 unit to itself', (payer: LocalAccount) => ({ to: payer.address, value: 1n })],
    ['to the seller, one unit short', () => ({ to: f.payTo, value: 9_999n })],
  ])(
    'behavior: B (%s) lands first: A fails with nonce_already_used, the row fails, the seller is not told it was paid',
    async (_, twinOf) => {
      const payer = f.chain.accounts.payers[0]
      const twin = twinOf(payer)
      const { a, b } = await verifiedWithTwin(payer, twin)
      const sellerBefore = await f.chain.balanceOf(f.payTo)
      const spent = await land(payer, f.usdc, callOf(b))
      const facilitatorNonce = await txCount(f.chain.accounts.facilitator.address)

      const { status, json } = await f.post('/settle', f.bodyV2(a))
      expect(status).toBe(200)
      expect(json).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_evm_nonce_already_used',
        payer: payer.address,
        transaction: '',
        network: 'eip155:8453',
      })
      expect(json.transaction).not.toBe(spent)
      // The seller got B's amount if B paid it at all, never A's.
      expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + (twin.to === f.payTo ? twin.value : 0n))
      expect(await txCount(f.chain.accounts.facilitator.address)).toBe(facilitatorNonce)
      expect(await entryOf(payer.address, a.authorization.nonce)).toMatchObject({
        state: 'failed',
        errorCode: 'invalid_exact_evm_nonce_already_used',
      })
      // Asked again: the same failure, from the ledger.
      expect((await f.post('/settle', f.bodyV2(a))).json).toMatchObject({
        success: false,
        errorReason: 'invalid_exact_evm_nonce_already_used',
      })
    },
  )

  test('behavior: the payer lands A itself (direct, or in a Multicall3 batch): settled with that transaction', async () => {
    const payer = f.chain.accounts.payers[1]
    for (const batched of [false, true]) {
      const a = await f.sign(payer)
      expect((await f.post('/verify', f.bodyV2(a))).json.isValid).toBe(true)
      const sellerBefore = await f.chain.balanceOf(f.payTo)
      const spent = batched
        ? await land(
            payer,
            multicall3Address,
            encodeAggregate3([{ target: f.usdc, allowFailure: true, callData: callOf(a) }]),
          )
        : await land(payer, f.usdc, callOf(a))
      const { json } = await f.post('/settle', f.bodyV2(a))
      expect(json).toEqual({ success: true, payer: payer.address, transaction: spent, network: 'eip155:8453' })
      expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 10_000n)
      expect(await entryOf(payer.address, a.authorization.nonce)).toMatchObject({
        state: 'settled',
        transaction: spent,
      })
    }
  })

  test('behavior: B plus a separate Transfer of the price to the seller in the same transaction pays: settled', async () => {
    const payer = f.chain.accounts.payers[2]
    const { a, b } = await verifiedWithTwin(payer, { to: payer.address, value: 1n })
    // The payer lets Multicall3 move the price, then one batch burns the nonce on B and pays the seller.
    await land(
      payer,
      f.usdc,
      encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [multicall3Address, 10_000n] }),
    )
    const sellerBefore = await f.chain.balanceOf(f.payTo)
    const spent = await land(
      payer,
      multicall3Address,
      encodeAggregate3([
        { target: f.usdc, allowFailure: false, callData: callOf(b) },
        {
          target: f.usdc,
          allowFailure: false,
          callData: encodeFunctionData({
            abi: erc20Abi,
            functionName: 'transferFrom',
            args: [payer.address, f.payTo, 10_000n],
          }),
        },
      ]),
    )
    expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 10_000n)
    const { json } = await f.post('/settle', f.bodyV2(a))
    expect(json).toEqual({ success: true, payer: payer.address, transaction: spent, network: 'eip155:8453' })
  })

  test('behavior: B lands in the same block before our settlement: ours reverts, A fails, never settled', async () => {
    const payer = f.chain.accounts.payers[3]
    const { a, b } = await verifiedWithTwin(payer, { to: payer.address, value: 1n })
    const sellerBefore = await f.chain.balanceOf(f.payTo)
    const { testClient } = f.chain
    await testClient.setAutomine(false)
    await testClient.setIntervalMining({ interval: 0 })
    let answer: Promise<{ status: number; json: Record<string, unknown> }> | undefined
    let ours: Hex | undefined
    try {
      answer = f.post('/settle', f.bodyV2(a))
      for (let i = 0; i < 200 && !ours; i++) {
        ours = (await entryOf(payer.address, a.authorization.nonce))?.transaction
        if (!ours) await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(ours).toBeDefined()
      // B with a far higher tip: the block orders it first.
      await f.chain.walletClient(payer).sendTransaction({
        to: f.usdc,
        data: callOf(b),
        gas: 300_000n,
        maxFeePerGas: 1_000n * 10n ** 9n,
        maxPriorityFeePerGas: 500n * 10n ** 9n,
      })
      await testClient.mine({ blocks: 1 })
    } finally {
      await testClient.setAutomine(true)
      await testClient.setIntervalMining({ interval: 1 })
    }
    const { json } = await (answer as NonNullable<typeof answer>)
    expect(json).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_nonce_already_used' })
    expect(await entryOf(payer.address, a.authorization.nonce)).toMatchObject({
      state: 'failed',
      errorCode: 'invalid_exact_evm_nonce_already_used',
      transaction: ours,
    })
    expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore)
  })
})
