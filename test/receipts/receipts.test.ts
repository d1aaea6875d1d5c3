/**
 * Signed receipts end to end on the local chain: the demo paid by the official client through the
 * real facilitator; the receipt in PAYMENT-RESPONSE verifies with `@tollgate/hono`'s helper against
 * the facilitator's JWKS (fetched, and offline) and with `@x402/extensions`' own offer-receipt
 * verification; each way a receipt can be wrong is refused with its code; `GET /receipts/:id`
 * answers the payee's key only.
 */
import { createReceiptVerifier, verifyReceipt } from '@tollgate/hono'
import { decodeHeader, receiptOf, settleResponseSchema } from '@tollgate/protocol'
import { extractReceiptFromResponse, verifyReceiptSignatureJWS } from '@x402/extensions/offer-receipt'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { wrapFetchWithPayment as wrapFetchV1 } from 'x402-fetch'
import { type ReceiptStack, sha256, signPayment, startReceiptStack } from './harness.ts'

let stack: ReceiptStack
let jwksUrl: string

beforeAll(async () => {
  stack = await startReceiptStack()
  jwksUrl = `${stack.facilitator.url}/.well-known/jwks.json`
})

afterAll(async () => {
  await stack?.stop()
})

/** One paid request to the demo; the response, its body bytes and the decoded settle answer. */
async function pay(path: string, payer = stack.chain.accounts.payers[0]) {
  const url = `${stack.demo.url}${path}`
  const headers = await signPayment(payer, url)
  const response = await fetch(url, { headers })
  const body = await response.clone().arrayBuffer()
  const settle = decodeHeader(settleResponseSchema, response.headers.get('payment-response'))
  return { url, response, body, settle, headers }
}

const b64url = (text: string) => btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
const unb64url = (text: string) => atob(text.replace(/-/g, '+').replace(/_/g, '/'))

describe('a paid request yields a signed receipt', () => {
  let paid: Awaited<ReturnType<typeof pay>>

  beforeAll(async () => {
    paid = await pay('/weather?city=Lisbon')
  })

  test('default: the receipt in PAYMENT-RESPONSE verifies against the JWKS and binds payment and body', async () => {
    expect(paid.response.status).toBe(200)
    const receipt = receiptOf(paid.settle)
    expect(receipt?.format).toBe('jws')
    const verify = createReceiptVerifier({ jwks: jwksUrl })
    const checked = await verify(paid.settle, { resourceUrl: paid.url, maxAgeSeconds: 300 })
    if (!checked.ok) throw new Error(`refused: ${checked.code} ${checked.message}`)
    const tx = await stack.chain.publicClient.getTransactionReceipt({ hash: paid.settle.transaction as `0x${string}` })
    expect(checked.algorithm).toBe('ES256')
    expect(checked.claims).toMatchObject({
      version: 1,
      network: 'eip155:8453',
      resourceUrl: paid.url,
      payer: stack.chain.accounts.payers[0].address,
      payTo: stack.chain.accounts.seller.address,
      asset: stack.chain.usdc,
      amount: '1000',
      transaction: paid.settle.transaction,
      blockNumber: tx.blockNumber.toString(),
      responseHash: await sha256(paid.body),
    })
    expect(checked.claims.receiptId).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(Math.abs(checked.claims.issuedAt - Date.now() / 1000)).toBeLessThan(60)
  })

  test('default: offline, against the JWKS document itself (no fetch at all)', async () => {
    const jwks = await (await fetch(jwksUrl)).json()
    let fetched = 0
    const checked = await verifyReceipt(receiptOf(paid.settle) as NonNullable<ReturnType<typeof receiptOf>>, {
      jwks,
      resourceUrl: paid.url,
      fetch: async () => {
        fetched++
        throw new Error('offline')
      },
    })
    expect(checked.ok).toBe(true)
    expect(fetched).toBe(0)
  })

  test("interop: @x402/extensions' own offer-receipt verification accepts the receipt", async () => {
    const receipt = extractReceiptFromResponse(paid.response)
    expect(receipt?.format).toBe('jws')
    const { keys } = await (await fetch(jwksUrl)).json()
    const payload = await verifyReceiptSignatureJWS(receipt as Parameters<typeof verifyReceiptSignatureJWS>[0], keys[0])
    expect(payload).toMatchObject({
      version: 1,
      network: 'eip155:8453',
      resourceUrl: paid.url,
      payer: stack.chain.accounts.payers[0].address,
      transaction: paid.settle.transaction,
    })
  })

  test('interop: a v1 client (x402-fetch) gets the receipt in X-PAYMENT-RESPONSE, network in CAIP-2', async () => {
    const url = `${stack.demo.url}/weather?city=Tokyo`
    const response = await wrapFetchV1(fetch, stack.chain.accounts.payers[3])(url)
    expect(response.status).toBe(200)
    const body = await response.arrayBuffer()
    const settle = decodeHeader(settleResponseSchema, response.headers.get('x-payment-response'))
    expect(settle.network).toBe('base')
    const checked = await verifyReceipt(settle, { jwks: jwksUrl, resourceUrl: url })
    if (!checked.ok) throw new Error(checked.code)
    expect(checked.claims).toMatchObject({ network: 'eip155:8453', amount: '1000', responseHash: await sha256(body) })
  })

  test('default: a route that settles before the handler gets a receipt without a response hash', async () => {
    const history = await pay('/history?city=Lisbon', stack.chain.accounts.payers[1])
    expect(history.response.status).toBe(200)
    const checked = await verifyReceipt(history.settle, { jwks: jwksUrl, resourceUrl: history.url })
    if (!checked.ok) throw new Error(checked.code)
    expect(checked.claims.amount).toBe('10000')
    expect(checked.claims.responseHash).toBeUndefined()
  })

  test('default: GET /receipts/:id answers the payee key with the state and the same receipt', async () => {
    const checked = await verifyReceipt(paid.settle, { jwks: jwksUrl })
    if (!checked.ok) throw new Error(checked.code)
    const url = `${stack.facilitator.url}/receipts/${checked.claims.receiptId}`
    const seller = await fetch(url, { headers: { authorization: `Bearer ${stack.sellerKey}` } })
    expect(seller.status).toBe(200)
    expect(await seller.json()).toMatchObject({
      id: checked.claims.receiptId,
      state: 'settled',
      receipt: receiptOf(paid.settle),
      payTo: stack.chain.accounts.seller.address,
      amount: '1000',
      transaction: paid.settle.transaction,
      resourceUrl: paid.url,
      // The gas spent for it: its share of its transaction, from the receipt.
      gas: {
        payments: expect.any(Number),
        gasUsed: expect.stringMatching(/^[1-9][0-9]{4}$/),
        feeWei: expect.stringMatching(/^[1-9][0-9]*$/),
        transactionGasUsed: expect.stringMatching(/^[1-9][0-9]*$/),
      },
    })
    const other = await fetch(url, { headers: { authorization: `Bearer ${stack.otherKey}` } })
    expect(other.status).toBe(404)
    expect((await other.json()).error).toBe('not_found')
    const anonymous = await fetch(url)
    expect(anonymous.status).toBe(401)
    const unknown = await fetch(`${stack.facilitator.url}/receipts/AAAAAAAAAAAAAAAAAAAAAA`, {
      headers: { authorization: `Bearer ${stack.sellerKey}` },
    })
    expect(unknown.status).toBe(404)
  })

  test('default: /supported lists offer-receipt; the JWKS holds public keys only', async () => {
    const supported = await (await fetch(`${stack.facilitator.url}/supported`)).json()
    expect(supported.extensions).toContain('offer-receipt')
    const jwks = await fetch(jwksUrl)
    expect(jwks.headers.get('cache-control')).toContain('max-age')
    expect(jwks.headers.get('access-control-allow-origin')).toBe('*')
    const { keys } = await jwks.json()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(keys[0].d).toBeUndefined()
  })

  describe('refusals, each with its code', () => {
    test('security: a tampered receipt (another amount, same signature) is receipt_signature_invalid', async () => {
      const [header, payload, signature] = (receiptOf(paid.settle)?.signature ?? '').split('.')
      const claims = JSON.parse(unb64url(payload as string))
      const forged = `${header}.${b64url(JSON.stringify({ ...claims, amount: '1' }))}.${signature}`
      const checked = await verifyReceipt(forged, { jwks: jwksUrl })
      expect(checked).toMatchObject({ ok: false, code: 'receipt_signature_invalid' })
      // @x402/extensions refuses it too.
      const { keys } = await (await fetch(jwksUrl)).json()
      await expect(verifyReceiptSignatureJWS({ format: 'jws', signature: forged }, keys[0])).rejects.toThrow()
    })

    test('security: a receipt signed by a key not in the JWKS is receipt_unknown_key', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
      const claims = JSON.parse(unb64url((receiptOf(paid.settle)?.signature ?? '').split('.')[1] as string))
      const foreign = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'ES256', kid: 'attacker-key' })
        .sign(privateKey)
      expect(await verifyReceipt(foreign, { jwks: jwksUrl, refreshCooldownMs: 0 })).toMatchObject({
        ok: false,
        code: 'receipt_unknown_key',
      })
      // Under a kid of ours, the signature does not match our key.
      const { keys } = await (await fetch(jwksUrl)).json()
      const impostor = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'ES256', kid: keys[0].kid })
        .sign(privateKey)
      expect(await verifyReceipt(impostor, { jwks: jwksUrl })).toMatchObject({
        ok: false,
        code: 'receipt_signature_invalid',
      })
      expect((await exportJWK(publicKey)).x).not.toBe(keys[0].x)
    })

    test('security: a receipt for another resource URL is receipt_resource_mismatch', async () => {
      const checked = await verifyReceipt(paid.settle, {
        jwks: jwksUrl,
        resourceUrl: `${stack.demo.url}/weather?city=Paris`,
      })
      expect(checked).toMatchObject({ ok: false, code: 'receipt_resource_mismatch' })
    })

    test('fault: an unreachable JWKS is jwks_unreachable (a value, not a throw)', async () => {
      const closed = 'http://127.0.0.1:9/.well-known/jwks.json'
      expect(await verifyReceipt(paid.settle, { jwks: closed, timeoutMs: 2_000 })).toMatchObject({
        ok: false,
        code: 'jwks_unreachable',
      })
      const notJwks = await verifyReceipt(paid.settle, { jwks: `${stack.facilitator.url}/health` })
      expect(notJwks).toMatchObject({ ok: false, code: 'jwks_unreachable' })
    })

    test('security: a header that is not a receipt is receipt_malformed; alg none is unsupported', async () => {
      expect(await verifyReceipt('not-a-jws', { jwks: jwksUrl })).toMatchObject({ code: 'receipt_malformed' })
      const none = `${b64url('{"alg":"none","kid":"x"}')}.${b64url('{}')}.`
      expect(await verifyReceipt(none, { jwks: jwksUrl })).toMatchObject({ ok: false })
      const hs = `${b64url('{"alg":"HS256","kid":"x"}')}.${b64url('{}')}.c2ln`
      expect(await verifyReceipt(hs, { jwks: jwksUrl })).toMatchObject({ code: 'receipt_unsupported_algorithm' })
    })
  })
})
