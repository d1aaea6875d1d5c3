import { receiptIdOf, receiptOf, type SettleResponse } from '@tollgate/protocol'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, test } from 'vitest'
import { createFacilitator } from '../createFacilitator.ts'
import { parseFacilitatorRequest } from '../request/parseFacilitatorRequest.ts'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import type { LedgerState } from '../store/ledgerStore.ts'
import { newLedgerEntry } from '../store/newLedgerEntry.ts'
import { createReceiptSigner, generateReceiptKey } from './createReceiptSigner.ts'
import { attachReceipt, issuePendingReceipt, lookupReceipt } from './issueReceipt.ts'

// anvil dev account #0 (a public test key); nothing listens on port 9: nothing here asks the chain.
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const client = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) })
const signer = await createReceiptSigner([await generateReceiptKey()])
let now = 1_800_000_000n
const facilitator = createFacilitator(
  { store: createMemoryStore(), networks: [{ network: 'eip155:8453', client, account }] },
  { now: () => now, receipts: signer },
)
afterAll(() => facilitator.close())

const requirements = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '10000',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  maxTimeoutSeconds: 60,
  extra: { name: 'USD Coin', version: '2' },
}
const transaction = `0x${'ab'.repeat(32)}` as const
const responseHash = `0x${'5e'.repeat(32)}` as const

function request(nonceByte: string, tollgate: Record<string, string> = {}) {
  const parsed = parseFacilitatorRequest(facilitator, {
    x402Version: 2,
    paymentPayload: {
      x402Version: 2,
      resource: { url: 'https://api.example.com/from-payload' },
      accepted: requirements,
      payload: {
        signature: `0x${'11'.repeat(65)}`,
        authorization: {
          from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
          to: requirements.payTo,
          value: '10000',
          validAfter: '0',
          validBefore: '1900000000',
          nonce: `0x${nonceByte.repeat(32)}`,
        },
      },
    },
    paymentRequirements: requirements,
    ...(Object.keys(tollgate).length ? { tollgate: { claim: 'claim-0123456789abcdef', ...tollgate } } : {}),
  })
  if (!parsed.ok) throw new Error(parsed.message)
  return parsed.request
}

async function ledgerRow(req: ReturnType<typeof request>, path: LedgerState[]) {
  const { store } = facilitator
  await store.reserve(newLedgerEntry(req, now))
  let from: LedgerState = 'reserved'
  for (const to of path) {
    const patch = to === 'submitted' ? { transaction } : to === 'settled' ? { blockNumber: 42n } : {}
    const moved = await store.transition(req.id, { from: [from], to, patch, now })
    if (!moved.ok) throw new Error(`${from} -> ${to}`)
    from = to
  }
}

const answer = (success: boolean, errorReason?: string): SettleResponse => ({
  success,
  ...(errorReason ? { errorReason } : {}),
  payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  transaction,
  network: 'eip155:8453',
})

const claimsOf = (jws: string) => JSON.parse(atob((jws.split('.')[1] as string).replace(/-/g, '+').replace(/_/g, '/')))

describe('attachReceipt', () => {
  test('default: a settled payment gets a signed receipt binding the payment, the served URL and the body hash', async () => {
    const req = request('01', { resource: 'https://api.example.com/served?x=1', responseHash })
    await ledgerRow(req, ['settling', 'submitted', 'settled'])
    const response = await attachReceipt(facilitator, req, answer(true))
    const receipt = receiptOf(response)
    expect(receipt?.format).toBe('jws')
    expect(response.extensions?.['offer-receipt']).toMatchObject({ schema: { required: ['receipt'] } })
    expect(claimsOf(receipt?.signature as string)).toEqual({
      version: 1,
      network: 'eip155:8453',
      resourceUrl: 'https://api.example.com/served?x=1',
      payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      issuedAt: 1_800_000_000,
      transaction,
      receiptId: receiptIdOf(response),
      payTo: requirements.payTo,
      asset: requirements.asset,
      amount: '10000',
      blockNumber: '42',
      responseHash,
    })
    // The same payment asked again: the same receipt, not a second one.
    now += 5n
    expect(receiptOf(await attachReceipt(facilitator, req, answer(true)))).toEqual(receipt)
  })

  test('security: without tollgate.resource no receipt is issued; the payload resource URL (the buyer) is never bound', async () => {
    const req = request('02')
    expect(req.resourceUrl).toBeUndefined()
    await ledgerRow(req, ['settling', 'submitted', 'settled'])
    const response = await attachReceipt(facilitator, req, answer(true))
    expect(receiptOf(response)).toBeUndefined()
    expect(JSON.stringify(response)).not.toContain('from-payload')
  })

  test('behavior: pending gets the id only; the receipt is issued once the row settles (lookup shows it)', async () => {
    const req = request('03', { resource: 'https://api.example.com/p', responseHash })
    await ledgerRow(req, ['settling', 'submitted'])
    const pending = await attachReceipt(facilitator, req, answer(false, 'settlement_pending'))
    expect(receiptOf(pending)).toBeUndefined()
    const id = receiptIdOf(pending) as string
    expect(await lookupReceipt(facilitator, id)).toMatchObject({ id, state: 'pending', transaction })
    expect((await lookupReceipt(facilitator, id))?.receipt).toBeUndefined()
    await facilitator.store.transition(req.id, { from: ['submitted'], to: 'settled', patch: { blockNumber: 43n }, now })
    const settled = await lookupReceipt(facilitator, id)
    expect(settled).toMatchObject({ state: 'settled', blockNumber: '43', amount: '10000' })
    // The pending call's body was never delivered: the hash is not bound.
    expect(claimsOf(settled?.receipt?.signature as string)).toMatchObject({ receiptId: id, blockNumber: '43' })
    expect(claimsOf(settled?.receipt?.signature as string).responseHash).toBeUndefined()
    expect(receiptOf(await attachReceipt(facilitator, req, answer(true)))).toEqual(settled?.receipt)
  })

  test('security: a failed, expired or delivered-elsewhere answer gets no receipt; failed lookup says so', async () => {
    const req = request('04', { resource: 'https://api.example.com/f' })
    await ledgerRow(req, ['settling', 'failed'])
    expect(await attachReceipt(facilitator, req, answer(false, 'invalid_exact_evm_transaction_failed'))).toEqual(
      answer(false, 'invalid_exact_evm_transaction_failed'),
    )
    const other = request('05', { resource: 'https://api.example.com/d' })
    await ledgerRow(other, ['settling', 'submitted', 'settled'])
    expect(
      receiptOf(await attachReceipt(facilitator, other, answer(false, 'payment_already_delivered'))),
    ).toBeUndefined()
    const late = request('06', { resource: 'https://api.example.com/l' })
    await ledgerRow(late, ['settling', 'submitted'])
    const id = receiptIdOf(await attachReceipt(facilitator, late, answer(false, 'settlement_pending'))) as string
    await facilitator.store.transition(late.id, {
      from: ['submitted'],
      to: 'failed',
      patch: { errorCode: 'invalid_exact_evm_transaction_failed' },
      now,
    })
    expect(await lookupReceipt(facilitator, id)).toMatchObject({
      state: 'failed',
      errorReason: 'invalid_exact_evm_transaction_failed',
    })
    expect((await lookupReceipt(facilitator, id))?.receipt).toBeUndefined()
  })

  test('behavior: issuePendingReceipt (the reconciler onSettled hook) signs a pending receipt once settled, once', async () => {
    const req = request('08', { resource: 'https://api.example.com/r' })
    await ledgerRow(req, ['settling', 'submitted'])
    const id = receiptIdOf(await attachReceipt(facilitator, req, answer(false, 'settlement_pending'))) as string
    const moved = await facilitator.store.transition(req.id, {
      from: ['submitted'],
      to: 'settled',
      patch: { blockNumber: 44n },
      now,
    })
    if (!moved.ok) throw new Error('not settled')
    await issuePendingReceipt(facilitator, moved.entry)
    const signed = await facilitator.store.getReceipt(id)
    expect(claimsOf(signed?.jws as string)).toMatchObject({ receiptId: id, blockNumber: '44' })
    await issuePendingReceipt(facilitator, moved.entry)
    expect((await facilitator.store.getReceipt(id))?.jws).toBe(signed?.jws)
    // A payment nobody asked a receipt for: nothing.
    const bare = request('09')
    await ledgerRow(bare, ['settling', 'submitted', 'settled'])
    await issuePendingReceipt(
      facilitator,
      (await facilitator.store.get(bare.id)) as NonNullable<Awaited<ReturnType<typeof facilitator.store.get>>>,
    )
    expect(await facilitator.store.getReceiptOfPayment(bare.id)).toBeUndefined()
  })

  test('fault: a Store that fails leaves the settle answer as it was', async () => {
    const req = request('07', { resource: 'https://api.example.com/s' })
    await ledgerRow(req, ['settling', 'submitted', 'settled'])
    const broken = {
      ...facilitator,
      store: { ...facilitator.store, putReceipt: async () => Promise.reject(new Error('disk full')) },
    }
    expect(await attachReceipt(broken, req, answer(true))).toEqual(answer(true))
  })
})
