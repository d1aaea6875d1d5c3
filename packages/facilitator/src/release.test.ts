import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, expect, test } from 'vitest'
import { createFacilitator } from './createFacilitator.ts'
import { release } from './release.ts'
import { parseFacilitatorRequest } from './request/parseFacilitatorRequest.ts'
import { createMemoryStore } from './store/createMemoryStore.ts'
import { newLedgerEntry } from './store/newLedgerEntry.ts'

// anvil dev account #0 (a public test key); nothing listens on port 9: release never asks the chain.
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const client = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) })
const facilitator = createFacilitator(
  { store: createMemoryStore(), networks: [{ network: 'eip155:8453', client, account }] },
  { now: () => 1_800_000_000n },
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
const holderClaim = 'holder-claim-0123456789'
const body = (nonceByte: string, { value = '10000', claim }: { value?: string; claim?: string } = {}) => ({
  x402Version: 2,
  paymentPayload: {
    x402Version: 2,
    accepted: requirements,
    payload: {
      signature: `0x${'11'.repeat(65)}`,
      authorization: {
        from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
        to: requirements.payTo,
        value,
        validAfter: '0',
        validBefore: '1900000000',
        nonce: `0x${nonceByte.repeat(32)}`,
      },
    },
  },
  paymentRequirements: requirements,
  ...(claim ? { tollgate: { claim } } : {}),
})

/** Reserves the payment as `/verify` would for the request that sent `holderClaim`. */
async function reserve(input: ReturnType<typeof body>) {
  const parsed = parseFacilitatorRequest(facilitator, { ...input, tollgate: { claim: holderClaim } })
  if (!parsed.ok) throw new Error(parsed.message)
  await facilitator.store.reserve({ ...newLedgerEntry(parsed.request, 1_800_000_000n), reservedUntil: 1_800_000_120n })
  return parsed.request.id
}

test('default: the holder releases its reservation once; the row is released with no lease', async () => {
  const id = await reserve(body('22'))
  expect(await release(facilitator, body('22', { claim: holderClaim }))).toEqual({
    ok: true,
    response: { released: true },
  })
  expect(await release(facilitator, body('22', { claim: holderClaim }))).toEqual({
    ok: true,
    response: { released: false },
  })
  const entry = await facilitator.store.get(id)
  expect(entry?.state).toBe('released')
  expect(entry?.reservedUntil).toBeUndefined()
})

test('behavior: a copy of the payment without the holder claim releases nothing', async () => {
  const id = await reserve(body('55'))
  // Anyone who saw the payment header can send this body: with no claim, or with a claim of its own.
  expect(await release(facilitator, body('55'))).toEqual({ ok: true, response: { released: false } })
  expect(await release(facilitator, body('55', { claim: 'someone-else-0123456789' }))).toEqual({
    ok: true,
    response: { released: false },
  })
  expect((await facilitator.store.get(id))?.state).toBe('reserved')
})

test('behavior: the delivering request gives back the delivery of a settled payment; nobody else can', async () => {
  const id = await reserve(body('66'))
  const now = 1_800_000_001n
  for (const to of ['settling', 'submitted', 'settled'] as const) {
    const from = to === 'settling' ? 'reserved' : to === 'submitted' ? 'settling' : 'submitted'
    await facilitator.store.transition(id, { from: [from], to, now })
  }
  const parsed = parseFacilitatorRequest(facilitator, body('66', { claim: holderClaim }))
  if (!parsed.ok || !parsed.request.claim) throw new Error('no claim')
  await facilitator.store.swapDelivery(id, { expected: undefined, next: parsed.request.claim, now })
  expect(await release(facilitator, body('66', { claim: 'someone-else-0123456789' }))).toEqual({
    ok: true,
    response: { released: false },
  })
  expect((await facilitator.store.get(id))?.deliveredTo).toBe(parsed.request.claim)
  expect(await release(facilitator, body('66', { claim: holderClaim }))).toEqual({
    ok: true,
    response: { released: true },
  })
  const entry = await facilitator.store.get(id)
  expect(entry?.state).toBe('settled')
  expect(entry?.deliveredTo).toBeUndefined()
})

test('behavior: nothing reserved, another payload under the id, or a claimed payment is not released', async () => {
  expect(await release(facilitator, body('33', { claim: holderClaim }))).toEqual({
    ok: true,
    response: { released: false },
  })
  const id = await reserve(body('44'))
  // Same authorization id (from, nonce), another payload (value): not the holder.
  expect(await release(facilitator, body('44', { value: '20000', claim: holderClaim }))).toMatchObject({ ok: true })
  expect((await facilitator.store.get(id))?.state).toBe('reserved')
  await facilitator.store.transition(id, { from: ['reserved'], to: 'settling', now: 1_800_000_001n })
  expect(await release(facilitator, body('44', { claim: holderClaim }))).toEqual({
    ok: true,
    response: { released: false },
  })
  expect((await facilitator.store.get(id))?.state).toBe('settling')
})

test('behavior: a malformed body or claim is a 400-style failure', async () => {
  expect(await release(facilitator, { x402Version: 2 })).toMatchObject({ ok: false })
  expect(await release(facilitator, 'not an object')).toMatchObject({ ok: false, code: 'invalid_request' })
  expect(await release(facilitator, body('77', { claim: 'short' }))).toMatchObject({
    ok: false,
    code: 'invalid_request',
  })
})
