/**
 * Receipts over time, on the local chain through the demo and the real facilitator: key rotation
 * (`tollgate-facilitator receipt-keys rotate`, here to EdDSA) makes new receipts use the new key
 * while old ones still verify; a settlement that was pending gets its receipt once it settles, and
 * `GET /receipts/:id` shows the transition; the keys survive a restart from the data folder.
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createReceiptVerifier, verifyReceipt } from '@tollgate/hono'
import { decodeHeader, receiptIdOf, receiptOf, settleResponseSchema } from '@tollgate/protocol'
import { verifyReceiptSignatureJWS } from '@x402/extensions/offer-receipt'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { runReceiptKeysCommand } from '../../apps/facilitator/src/receipts/receiptKeys.ts'
import { type ReceiptStack, signPayment, startReceiptStack, until } from './harness.ts'

let stack: ReceiptStack

beforeAll(async () => {
  stack = await startReceiptStack(
    {
      // Short enough that an unmined settlement answers pending at once; the reconciler runs often.
      TOLLGATE_RECEIPT_TIMEOUT_MS: '400',
      TOLLGATE_POLLING_INTERVAL_MS: '50',
      TOLLGATE_RECONCILE_INTERVAL_MS: '500',
    },
    // Every transaction is mined at once, and no interval block lands while mining is paused (the pending case).
    { blockTime: 3600 },
  )
})

afterEach(async () => {
  await stack.chain.testClient.setAutomine(true) // a failed test leaves mining on for the next
})

afterAll(async () => {
  await stack?.stop()
})

const jwksUrl = () => `${stack.facilitator.url}/.well-known/jwks.json`

async function pay(path: string, payer: (typeof stack.chain.accounts.payers)[number]) {
  const url = `${stack.demo.url}${path}`
  const headers = await signPayment(payer, url)
  const response = await fetch(url, { headers })
  await response.arrayBuffer()
  return {
    url,
    headers,
    status: response.status,
    settle: decodeHeader(settleResponseSchema, response.headers.get('payment-response')),
  }
}

const lookup = async (id: string) => {
  const response = await fetch(`${stack.facilitator.url}/receipts/${id}`, {
    headers: { authorization: `Bearer ${stack.sellerKey}` },
  })
  return (await response.json()) as {
    state: string
    receipt?: { format: string; signature: string }
    transaction?: string
  }
}

test('default: the receipt key is generated into the data folder (0600) and kept across a restart', async () => {
  const path = join(stack.dataDir, 'receipt-keys.json')
  expect((await stat(path)).mode & 0o777).toBe(0o600)
  const before = await (await fetch(jwksUrl())).json()
  await stack.restartFacilitator({
    TOLLGATE_RECEIPT_TIMEOUT_MS: '400',
    TOLLGATE_POLLING_INTERVAL_MS: '50',
    TOLLGATE_RECONCILE_INTERVAL_MS: '500',
  })
  expect(await (await fetch(jwksUrl())).json()).toEqual(before)
  expect(JSON.parse(await readFile(path, 'utf8')).keys[0].d).toEqual(expect.any(String))
})

test('behavior: after a rotation new receipts use the new key (EdDSA) and old receipts still verify', async () => {
  const old = await pay('/weather?city=Oslo', stack.chain.accounts.payers[2])
  expect(old.status).toBe(200)
  // A verifier that already holds the old JWKS: it must fetch again on the new kid.
  const verify = createReceiptVerifier({ jwks: jwksUrl(), refreshCooldownMs: 0 })
  const first = await verify(old.settle, { resourceUrl: old.url })
  if (!first.ok) throw new Error(first.code)
  expect(first.algorithm).toBe('ES256')

  const lines: string[] = []
  const code = await runReceiptKeysCommand(['rotate', '--alg', 'EdDSA'], {
    env: { TOLLGATE_DATA_DIR: stack.dataDir },
    out: (text) => lines.push(text),
    err: (text) => lines.push(text),
  })
  expect(code).toBe(0)
  const rotated = JSON.parse(lines.join(''))
  expect(rotated.retired).toEqual([first.kid])
  await stack.restartFacilitator({
    TOLLGATE_RECEIPT_TIMEOUT_MS: '400',
    TOLLGATE_POLLING_INTERVAL_MS: '50',
    TOLLGATE_RECONCILE_INTERVAL_MS: '500',
  })
  const { keys } = await (await fetch(jwksUrl())).json()
  expect(keys.map((key: { kid: string }) => key.kid)).toEqual([rotated.active, first.kid])
  expect(keys.every((key: { d?: string }) => key.d === undefined)).toBe(true)
  // The retired private key is gone from the file: it can never sign again.
  const file = JSON.parse(await readFile(join(stack.dataDir, 'receipt-keys.json'), 'utf8'))
  expect(file.keys[1].d).toBeUndefined()

  const fresh = await pay('/weather?city=Tokyo', stack.chain.accounts.payers[3])
  expect(fresh.status).toBe(200)
  const second = await verify(fresh.settle, { resourceUrl: fresh.url })
  if (!second.ok) throw new Error(second.code)
  expect(second).toMatchObject({ kid: rotated.active, algorithm: 'EdDSA' })
  expect(await verify(old.settle, { resourceUrl: old.url })).toMatchObject({ ok: true, kid: first.kid })
  expect(await verifyReceipt(old.settle, { jwks: jwksUrl() })).toMatchObject({ ok: true, kid: first.kid })
  // The official verification too, for both keys.
  const byKid = (kid: string) => keys.find((key: { kid: string }) => key.kid === kid)
  await expect(
    verifyReceiptSignatureJWS(receiptOf(fresh.settle) as { format: 'jws'; signature: string }, byKid(rotated.active)),
  ).resolves.toMatchObject({ resourceUrl: fresh.url })
  await expect(
    verifyReceiptSignatureJWS(receiptOf(old.settle) as { format: 'jws'; signature: string }, byKid(first.kid)),
  ).resolves.toMatchObject({ resourceUrl: old.url })
})

test('behavior: a pending settlement gets its receipt once it settles; lookup shows pending -> settled', async () => {
  const url = `${stack.demo.url}/weather?city=Lima`
  const headers = await signPayment(stack.chain.accounts.payers[4], url)
  // Under mixed mining anvil mines each transaction at once; automine on, then off, leaves only the
  // (hour-long) interval: the settlement stays unmined until the block below.
  await stack.chain.testClient.setAutomine(true)
  await stack.chain.testClient.setAutomine(false)
  const pending = await fetch(url, { headers })
  expect(pending.status).toBe(202)
  await pending.arrayBuffer()
  const answer = decodeHeader(settleResponseSchema, pending.headers.get('payment-response'))
  expect(receiptOf(answer)).toBeUndefined()
  const id = receiptIdOf(answer)
  expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
  const before = await lookup(id as string)
  expect(before.state).toBe('pending')
  expect(before.receipt).toBeUndefined()

  await stack.chain.testClient.mine({ blocks: 1 })
  await stack.chain.testClient.setAutomine(true)
  // Signed as soon as the reconciler finishes the payment, before anyone asks for it.
  const { store } = stack.facilitator.facilitator
  const record = await until(
    () => store.getReceipt(id as string),
    (read) => read?.jws !== undefined,
  )
  expect(record?.jws).toEqual(expect.any(String))
  const after = await until(
    () => lookup(id as string),
    (read) => read.state === 'settled',
  )
  expect(after.state).toBe('settled')
  expect(after.receipt?.signature).toBe(record?.jws)
  const checked = await verifyReceipt(after.receipt as { format: 'jws'; signature: string }, {
    jwks: jwksUrl(),
    resourceUrl: url,
  })
  if (!checked.ok) throw new Error(checked.code)
  expect(checked.claims).toMatchObject({ receiptId: id, transaction: after.transaction, amount: '1000' })
  // Its content is served on the retry of the same payment, with the same receipt.
  const served = await fetch(url, { headers })
  expect(served.status).toBe(200)
  await served.arrayBuffer()
  const settled = decodeHeader(settleResponseSchema, served.headers.get('payment-response'))
  expect(receiptOf(settled)).toEqual(after.receipt)
  expect(await lookup(id as string)).toEqual(after)
})
