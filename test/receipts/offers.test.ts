/**
 * Signed offers (option `offerSigning`, per route `signOffers`): the 402's offers are JWS in the
 * `offer-receipt` extension that `@x402/extensions` decodes, verifies and matches to `accepts[]`; the
 * official client still pays, and the facilitator's receipt matches the signed offer by the
 * extension's own rules. On anvil, through the real facilitator.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { httpFacilitator, type OfferOptions, paymentRequired } from '@tollgate/hono'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { decodePaymentRequiredHeader } from '@x402/core/http'
import {
  decodeSignedOffers,
  extractOffersFromPaymentRequired,
  extractReceiptFromResponse,
  findAcceptsObjectFromSignedOffer,
  verifyOfferSignatureJWS,
  verifyReceiptMatchesOffer,
} from '@x402/extensions/offer-receipt'
import { Hono } from 'hono'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ReceiptStack, signPayment, startReceiptStack } from './harness.ts'

let stack: ReceiptStack
let url: string
let server: ReturnType<typeof serve>
let publicJwk: JWK

beforeAll(async () => {
  stack = await startReceiptStack()
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  publicJwk = { ...(await exportJWK(publicKey)), kid: 'seller-offers-1' }
  const accepts: OfferOptions = {
    network: stack.chain.network,
    price: '$0.002',
    payTo: stack.chain.accounts.seller.address,
  }
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator: httpFacilitator({ url: stack.facilitator.url, apiKey: stack.sellerKey }),
      // The public origin is this server's address, known once it listens; receipts name routes under it.
      origin: () => url,
      offerSigning: { key: await exportJWK(privateKey), kid: 'seller-offers-1' },
      routes: {
        'GET /report': { accepts, description: 'A signed report' },
        'GET /plain': { accepts, signOffers: false },
      },
    }),
  )
  app.get('/report', (c) => c.json({ report: 'ok', receipt: c.get('payment').receiptId ?? null }))
  app.get('/plain', (c) => c.json({ plain: true }))
  server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve())
    ;(server as unknown as { closeAllConnections?: () => void })?.closeAllConnections?.()
  })
  await stack?.stop()
})

test('interop: the offers verify and match accepts[] with @x402/extensions; the receipt matches the offer', async () => {
  const unpaid = await fetch(`${url}/report`)
  expect(unpaid.status).toBe(402)
  const paymentRequired = decodePaymentRequiredHeader(unpaid.headers.get('payment-required') as string)
  const offers = extractOffersFromPaymentRequired(paymentRequired)
  expect(offers).toHaveLength(1)
  const payload = await verifyOfferSignatureJWS(offers[0] as Parameters<typeof verifyOfferSignatureJWS>[0], publicJwk)
  const accepted = paymentRequired.accepts[0]
  expect(payload).toMatchObject({
    version: 1,
    resourceUrl: `${url}/report`,
    scheme: 'exact',
    network: 'eip155:8453',
    asset: accepted?.asset,
    payTo: accepted?.payTo,
    amount: '2000',
  })
  expect(payload.validUntil - Date.now() / 1000).toBeGreaterThan(30)
  const [decoded] = decodeSignedOffers(offers)
  expect(findAcceptsObjectFromSignedOffer(decoded as NonNullable<typeof decoded>, paymentRequired.accepts)).toEqual(
    accepted,
  )

  const payer = stack.chain.accounts.payers[6]
  const paid = await fetch(`${url}/report`, { headers: await signPayment(payer, `${url}/report`) })
  expect(paid.status).toBe(200)
  const body = await paid.json()
  expect(body.receipt).toBeNull() // settled after the handler: the id is not known inside it
  expect(decodeHeader(settleResponseSchema, paid.headers.get('payment-response')).success).toBe(true)
  const receipt = extractReceiptFromResponse(paid)
  expect(receipt).toBeDefined()
  expect(
    verifyReceiptMatchesOffer(receipt as NonNullable<typeof receipt>, decoded as NonNullable<typeof decoded>, [
      payer.address,
    ]),
  ).toBe(true)
})

test('default: a route with signOffers: false has no offer-receipt extension; the signature is reused', async () => {
  const plain = await fetch(`${url}/plain`)
  expect(plain.status).toBe(402)
  expect(decodePaymentRequiredHeader(plain.headers.get('payment-required') as string).extensions).toBeUndefined()
  const a = await fetch(`${url}/report`)
  const b = await fetch(`${url}/report`)
  expect(a.headers.get('payment-required')).toBe(b.headers.get('payment-required'))
})
