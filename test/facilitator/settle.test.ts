/**
 * /settle against a local anvil: balances move by exactly the amount, the ledger records every step,
 * concurrency through one signer, idempotency, pending receipts, smart-wallet settlement.
 */
import { toExactAuthorization, transferWithAuthorizationData } from '@tollgate/evm'
import { type Address, type Hex, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { smartWalletFactory } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from './fixture.ts'
import { toHighS, wrap6492 } from './signatures.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.stop())

const salt = (n: number) => toHex(n, { size: 32 })
const txCount = (address: Address, blockTag: 'latest' | 'pending' = 'latest') =>
  f.chain.publicClient.getTransactionCount({ address, blockTag })

describe('settle', () => {
  test('default: a valid payment settles; balances move by exactly the amount', async () => {
    const payer = f.chain.accounts.payers[0]
    const [payerBefore, sellerBefore] = await Promise.all([
      f.chain.balanceOf(payer.address),
      f.chain.balanceOf(f.payTo),
    ])
    const payload = await f.sign(payer)
    const { status, json } = await f.post('/settle', f.bodyV2(payload))
    expect(status).toBe(200)
    expect(json).toEqual({
      success: true,
      payer: payer.address,
      transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      network: 'eip155:8453',
    })
    expect(await f.chain.balanceOf(payer.address)).toBe(payerBefore - 10_000n)
    expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 10_000n)
    const receipt = await f.chain.publicClient.getTransactionReceipt({ hash: json.transaction as `0x${string}` })
    expect(receipt.status).toBe('success')
    expect(receipt.from.toLowerCase()).toBe(f.chain.accounts.facilitator.address.toLowerCase())
    const [entry] = await f.facilitator.store.list({ states: ['settled'] })
    expect(entry).toMatchObject({
      payer: payer.address,
      transaction: json.transaction,
      blockNumber: receipt.blockNumber,
    })
  })

  test('behavior: a reserved payment already spent on chain settles with that transaction, never a failure', async () => {
    const payer = f.chain.accounts.payers[2]
    const payload = await f.sign(payer)
    expect((await f.post('/verify', f.bodyV2(payload))).json.isValid).toBe(true)
    // The payer (or a settlement whose answer was lost) spends the authorization directly.
    const direct = await f.chain.walletClient(payer).sendTransaction({
      to: f.usdc,
      data: transferWithAuthorizationData(toExactAuthorization(payload.authorization), payload.signature as Hex),
    })
    expect((await f.chain.publicClient.waitForTransactionReceipt({ hash: direct })).status).toBe('success')
    const facilitatorNonce = await txCount(f.chain.accounts.facilitator.address)
    const { json } = await f.post('/settle', f.bodyV2(payload))
    expect(json).toEqual({ success: true, payer: payer.address, transaction: direct, network: 'eip155:8453' })
    expect(await txCount(f.chain.accounts.facilitator.address)).toBe(facilitatorNonce)
    const entries = await f.facilitator.store.list({ states: ['settled'], limit: 1_000 })
    expect(entries.find((entry) => entry.transaction === direct)).toMatchObject({ payer: payer.address })
  })

  test('behavior: verify, then settle, then replay: one transaction, the first answer, and verify says used', async () => {
    const payer = f.chain.accounts.payers[1]
    const payload = await f.sign(payer)
    expect((await f.post('/verify', f.bodyV2(payload))).json.isValid).toBe(true)
    const first = await f.post('/settle', f.bodyV2(payload))
    expect(first.json.success).toBe(true)
    const count = await txCount(f.chain.accounts.facilitator.address)
    const again = await f.post('/settle', f.bodyV2(payload))
    expect(again.json).toEqual(first.json)
    expect(await txCount(f.chain.accounts.facilitator.address)).toBe(count)
    expect((await f.post('/verify', f.bodyV2(payload))).json).toEqual({
      isValid: false,
      invalidReason: 'invalid_exact_evm_nonce_already_used',
      payer: payer.address,
    })
  })

  test('behavior: a settled authorization replayed against other requirements gets the mismatch, not the old success', async () => {
    const payload = await f.sign(f.chain.accounts.payers[1])
    expect((await f.post('/settle', f.bodyV2(payload))).json.success).toBe(true)
    const pricier = await f.post('/settle', f.bodyV2(payload, f.requirementsV2({ amount: '20000' })))
    expect(pricier.json).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_payload_authorization_value_mismatch',
      transaction: '',
    })
    const elsewhere = await f.post(
      '/settle',
      f.bodyV2(payload, f.requirementsV2({ payTo: f.chain.accounts.payers[4].address })),
    )
    expect(elsewhere.json).toMatchObject({
      success: false,
      errorReason: 'invalid_exact_evm_payload_recipient_mismatch',
    })
  })

  test('behavior: the high-s twin of a settled signature is the same payment: the first answer, no transaction', async () => {
    const payload = await f.sign(f.chain.accounts.payers[1])
    const first = await f.post('/settle', f.bodyV2(payload))
    expect(first.json.success).toBe(true)
    const count = await txCount(f.chain.accounts.facilitator.address)
    const twin = await f.post('/settle', f.bodyV2({ ...payload, signature: toHighS(payload.signature) }))
    expect(twin.json).toEqual(first.json)
    expect(await txCount(f.chain.accounts.facilitator.address)).toBe(count)
  })

  test('behavior: another authorization under the same nonce is authorization_in_use', async () => {
    const payer = f.chain.accounts.payers[1]
    const nonce = toHex(424242, { size: 32 })
    const first = await f.sign(payer, { nonce })
    expect((await f.post('/verify', f.bodyV2(first))).json.isValid).toBe(true)
    const other = await f.sign(payer, { nonce, validBefore: f.now() + 200n })
    expect((await f.post('/verify', f.bodyV2(other))).json.invalidReason).toBe('authorization_in_use')
    expect((await f.post('/settle', f.bodyV2(other))).json.errorReason).toBe('authorization_in_use')
  })

  test('behavior: a v1 payment settles and answers with the v1 network name', async () => {
    const payer = f.chain.accounts.payers[2]
    const payload = await f.sign(payer, { validAfter: f.now() - 600n })
    const { json } = await f.post('/settle', f.bodyV1(payload))
    expect(json).toMatchObject({ success: true, network: 'base', payer: payer.address })
  })

  test('behavior: an invalid payment fails with its code, transaction "" and the network', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { validBefore: f.now() - 5n })
    const { status, json } = await f.post('/settle', f.bodyV2(payload))
    expect(status).toBe(200)
    expect(json).toEqual({
      success: false,
      errorReason: 'invalid_exact_evm_payload_authorization_valid_before',
      payer: f.chain.accounts.payers[0].address,
      transaction: '',
      network: 'eip155:8453',
    })
  })

  test('behavior: 200 different authorizations settled concurrently through one signer all land, no nonce error', async () => {
    const signer = f.chain.accounts.facilitator.address
    const before = await txCount(signer)
    const payers = f.chain.accounts.payers
    const payloads = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        f.sign(payers[i % payers.length] as (typeof payers)[number], { value: 1_000n }),
      ),
    )
    const requirements = f.requirementsV2({ amount: '1000' })
    const sellerBefore = await f.chain.balanceOf(f.payTo)
    const started = performance.now()
    const results = await Promise.all(payloads.map((payload) => f.post('/settle', f.bodyV2(payload, requirements))))
    const elapsed = performance.now() - started
    expect(results.filter((r) => r.json.success !== true).map((r) => r.json)).toEqual([])
    expect(new Set(results.map((r) => r.json.transaction)).size).toBe(200)
    expect(await txCount(signer)).toBe(before + 200)
    expect(await txCount(signer, 'pending')).toBe(before + 200)
    expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 200_000n)
    expect(elapsed).toBeLessThan(15_000)
  })

  test('behavior: the same authorization sent 20 times concurrently: one transaction, 20 identical answers', async () => {
    const signer = f.chain.accounts.facilitator.address
    const before = await txCount(signer)
    const payload = await f.sign(f.chain.accounts.payers[3])
    const body = f.bodyV2(payload)
    const results = await Promise.all(Array.from({ length: 20 }, () => f.post('/settle', body)))
    const bodies = new Set(results.map((r) => JSON.stringify(r.json)))
    expect(bodies.size).toBe(1)
    expect(results[0]?.json.success).toBe(true)
    expect(await txCount(signer)).toBe(before + 1)
    // Later, and from another node sharing the ledger (another signer): the first answer, no transaction.
    expect((await f.post('/settle', body)).json).toEqual(results[0]?.json)
    const peer = f.peer({ account: f.chain.accounts.payers[7] })
    try {
      expect((await peer.post('/settle', body)).json).toEqual(results[0]?.json)
    } finally {
      await peer.close()
    }
    expect(await txCount(signer)).toBe(before + 1)
    expect(await txCount(f.chain.accounts.payers[7].address)).toBe(0)
  })

  test('behavior: two nodes sharing the ledger race on one authorization: one transaction, same answers', async () => {
    const peer = f.peer({ account: f.chain.accounts.payers[7] })
    try {
      const payload = await f.sign(f.chain.accounts.payers[3])
      const body = f.bodyV2(payload)
      const [before, beforePeer] = await Promise.all([
        txCount(f.chain.accounts.facilitator.address),
        txCount(f.chain.accounts.payers[7].address),
      ])
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? f.post('/settle', body) : peer.post('/settle', body))),
      )
      expect(new Set(results.map((r) => JSON.stringify(r.json))).size).toBe(1)
      expect(results[0]?.json.success).toBe(true)
      const [after, afterPeer] = await Promise.all([
        txCount(f.chain.accounts.facilitator.address),
        txCount(f.chain.accounts.payers[7].address),
      ])
      expect(after - before + (afterPeer - beforePeer)).toBe(1)
    } finally {
      await peer.close()
    }
  })

  test('behavior: an ERC-1271 wallet payment settles (65-byte signature: the (v, r, s) overload, checked by the wallet)', async () => {
    const owner = f.chain.accounts.payers[4]
    const wallet = await f.chain.deploySmartWallet({ owner: owner.address, salt: salt(1) })
    await f.chain.mint({ to: wallet, value: 50_000n })
    const payload = await f.sign(owner, { from: wallet })
    expect(payload.signature.length).toBe(132)
    const { json } = await f.post('/settle', f.bodyV2(payload))
    expect(json).toMatchObject({ success: true, payer: wallet })
    expect(await f.chain.balanceOf(wallet)).toBe(40_000n)
  })

  test('behavior: an undeployed ERC-6492 wallet is deployed and pays in one transaction', async () => {
    const owner = f.chain.accounts.payers[5]
    const wallet = await f.chain.publicClient.readContract({
      address: f.chain.factory,
      abi: smartWalletFactory.abi,
      functionName: 'getAddress',
      args: [owner.address, salt(2)],
    })
    await f.chain.mint({ to: wallet, value: 50_000n })
    const payload = await f.sign(owner, { from: wallet })
    const wrapped = { ...payload, signature: wrap6492(f.chain.factory, owner, salt(2), payload.signature) }
    const { json } = await f.post('/settle', f.bodyV2(wrapped))
    expect(json).toMatchObject({ success: true, payer: wallet })
    expect(await f.chain.publicClient.getCode({ address: wallet })).toMatch(/^0x.+/)
    expect(await f.chain.balanceOf(wallet)).toBe(40_000n)
  })
})

describe('settle: a receipt that does not arrive in time', () => {
  test('behavior: pending with the hash, then settled with the same hash once mined', async () => {
    const { testClient } = f.chain
    await testClient.setAutomine(false)
    await testClient.setIntervalMining({ interval: 0 })
    const payload = await f.sign(f.chain.accounts.payers[6])
    const body = f.bodyV2(payload)
    // A node that waits 300 ms for receipts, with its own signer (payers[7] is never a payer in this file).
    const impatient = f.peer({ account: f.chain.accounts.payers[7], receiptTimeoutMs: 300 })
    let pending: Record<string, unknown>
    try {
      pending = (await impatient.post('/settle', body)).json
    } finally {
      await impatient.close()
      await testClient.setAutomine(true)
      await testClient.setIntervalMining({ interval: 1 })
    }
    expect(pending).toMatchObject({
      success: false,
      errorReason: 'settlement_pending',
      transaction: expect.stringMatching(/^0x/),
    })
    await testClient.mine({ blocks: 1 })
    const settled = (await f.post('/settle', body)).json
    expect(settled).toMatchObject({ success: true, transaction: pending.transaction })
  })
})
