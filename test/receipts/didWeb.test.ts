/**
 * With `TOLLGATE_RECEIPT_DID_WEB` (the facilitator's public origin), receipt kids are did:web DID
 * URLs and `/.well-known/did.json` lists the keys: `@x402/extensions` verifies a receipt from its
 * kid alone (it resolves did:web itself), and our helper still verifies it against the JWKS.
 */
import { verifyReceipt } from '@tollgate/hono'
import { decodeHeader, receiptOf, settleResponseSchema } from '@tollgate/protocol'
import { extractPublicKeyFromKid, verifyReceiptSignatureJWS } from '@x402/extensions/offer-receipt'
import { decodeProtectedHeader } from 'jose'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { parseConfig } from '../../apps/facilitator/src/config/parseConfig.ts'
import { freePort } from '../chain/freePort.ts'
import { type ReceiptStack, signPayment, startReceiptStack } from './harness.ts'

let stack: ReceiptStack
let origin: string

beforeAll(async () => {
  const port = await freePort()
  origin = `http://127.0.0.1:${port}`
  stack = await startReceiptStack({ TOLLGATE_PORT: String(port), TOLLGATE_RECEIPT_DID_WEB: origin })
})

afterAll(async () => {
  await stack?.stop()
})

test('interop: the kid is a did:web DID URL that @x402/extensions resolves and verifies on its own', async () => {
  const url = `${stack.demo.url}/weather?city=Lagos`
  const response = await fetch(url, { headers: await signPayment(stack.chain.accounts.payers[0], url) })
  expect(response.status).toBe(200)
  await response.arrayBuffer()
  const settle = decodeHeader(settleResponseSchema, response.headers.get('payment-response'))
  const receipt = receiptOf(settle) as { format: 'jws'; signature: string }
  const { kid } = decodeProtectedHeader(receipt.signature)
  const did = `did:web:127.0.0.1%3A${new URL(origin).port}`
  expect(kid).toMatch(new RegExp(`^${did}#[A-Za-z0-9_-]{43}$`))

  const document = await (await fetch(`${origin}/.well-known/did.json`)).json()
  expect(document).toMatchObject({
    id: did,
    assertionMethod: [kid],
    verificationMethod: [{ id: kid, controller: did }],
  })
  await expect(extractPublicKeyFromKid(kid as string)).resolves.toBeDefined()
  // No key given: the official verification resolves the kid (did:web) and checks the signature.
  await expect(verifyReceiptSignatureJWS(receipt)).resolves.toMatchObject({
    resourceUrl: url,
    transaction: settle.transaction,
  })

  const checked = await verifyReceipt(settle, { jwks: `${origin}/.well-known/jwks.json`, resourceUrl: url })
  expect(checked).toMatchObject({ ok: true, kid })
})

test('default: TOLLGATE_RECEIPT_DID_WEB must be an http(s) origin; TOLLGATE_RECEIPTS, _ALG, _KEYS_FILE parse', () => {
  const base = {
    TOLLGATE_SIGNER_KEY: `0x${'11'.repeat(32)}`,
    TOLLGATE_RPC_URL_8453: 'http://127.0.0.1:8545',
  }
  expect(parseConfig({ ...base, TOLLGATE_RECEIPT_DID_WEB: 'https://f.example.com' }).receipts?.didWebOrigin).toBe(
    'https://f.example.com',
  )
  expect(() => parseConfig({ ...base, TOLLGATE_RECEIPT_DID_WEB: 'https://f.example.com/path' })).toThrow(/origin only/)
  expect(() => parseConfig({ ...base, TOLLGATE_RECEIPT_DID_WEB: 'ftp://f.example.com' })).toThrow(
    /TOLLGATE_RECEIPT_DID_WEB/,
  )
  // The other receipt options: off, the algorithm of a generated key, a keys file.
  expect(parseConfig({ ...base, TOLLGATE_RECEIPTS: 'off' }).receipts).toBeUndefined()
  expect(
    parseConfig({ ...base, TOLLGATE_RECEIPT_ALG: 'EdDSA', TOLLGATE_RECEIPT_KEYS_FILE: '/k.json' }).receipts,
  ).toEqual({
    algorithm: 'EdDSA',
    keysFile: '/k.json',
    didWebOrigin: undefined,
  })
  expect(() => parseConfig({ ...base, TOLLGATE_RECEIPT_ALG: 'RS256' })).toThrow(
    /TOLLGATE_RECEIPT_ALG: expected ES256 or EdDSA/,
  )
})
