import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { compactVerify, exportJWK, generateKeyPair, importJWK } from 'jose'
import { describe, expect, test } from 'vitest'
import type { FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import { paymentRequired } from '../paymentRequired.ts'
import type { OfferOptions } from '../routes/routeOptions.ts'

const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
// The 402 never reaches a facilitator.
const unused: FacilitatorClient = {
  verify: async () => ({ ok: false, code: 'facilitator_unavailable', reason: 'unused' }),
  settle: async () => ({ ok: false, code: 'facilitator_unavailable', reason: 'unused' }),
}

async function app(now: () => bigint, alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : 'ES256', { extractable: true })
  const hono = new Hono()
  hono.use(
    paymentRequired({
      facilitator: unused,
      origin: 'https://api.example.com',
      offerSigning: { key: await exportJWK(privateKey), kid: 'offers-1', now },
      routes: {
        'GET /a': {
          accepts: [
            { network: 'eip155:8453', price: '$0.01', payTo, maxTimeoutSeconds: 60 },
            { network: 'eip155:84532', price: '$0.02', payTo },
          ],
        },
        'GET /b': { accepts: { network: 'eip155:8453', price: '$0.01', payTo }, signOffers: false },
      },
    }),
  )
  return { hono, publicKey: await importJWK(await exportJWK(publicKey), alg) }
}

const offersOf = (res: Response) =>
  (
    decodeHeader(paymentRequiredV2Schema, res.headers.get('payment-required')).extensions?.['offer-receipt'] as {
      info: { offers: { format: string; acceptIndex: number; signature: string }[] }
    }
  )?.info.offers

describe('offerSigning', () => {
  test.each(['ES256', 'EdDSA'] as const)(
    'default: %s: each accepts[] entry has a signed offer with its index',
    async (alg) => {
      const { hono, publicKey } = await app(() => 1_800_000_000n, alg)
      // The offer names the seller's origin, whatever host the request was sent to.
      const res = await hono.request('http://attacker.example/a')
      expect(res.status).toBe(402)
      const offers = offersOf(res)
      expect(offers?.map((offer) => offer.acceptIndex)).toEqual([0, 1])
      const { payload, protectedHeader } = await compactVerify(offers?.[1]?.signature as string, publicKey)
      expect(protectedHeader).toEqual({ alg, kid: 'offers-1' })
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({
        version: 1,
        resourceUrl: 'https://api.example.com/a',
        scheme: 'exact',
        network: 'eip155:84532',
        asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e',
        payTo,
        amount: '20000',
        validUntil: 1_800_000_000 + 300,
      })
      // The v1 body is unchanged (legacy clients validate it strictly).
      expect(await res.json()).not.toHaveProperty('extensions')
    },
  )

  test('behavior: signatures are reused for half the shortest validity, then renewed', async () => {
    let now = 1_800_000_000
    const { hono } = await app(() => BigInt(now))
    const first = offersOf(await hono.request('http://api.example.com/a'))
    now += 29
    expect(offersOf(await hono.request('http://api.example.com/a'))).toEqual(first)
    now += 1
    expect(offersOf(await hono.request('http://api.example.com/a'))).not.toEqual(first)
    expect(offersOf(await hono.request('http://api.example.com/b'))).toBeUndefined()
  })

  test('default: a public key, another curve or an empty kid is a ConfigError at construction', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true })
    const build = (offerSigning: Parameters<typeof paymentRequired>[0]['offerSigning']) => () =>
      paymentRequired({
        facilitator: unused,
        origin: 'https://api.example.com',
        routes: { 'GET /a': { accepts: { network: 'eip155:8453', price: '$0.01', payTo } } },
        ...(offerSigning ? { offerSigning } : {}),
      })
    expect(build({ key: await exportJWK(publicKey) })).toThrow(/private JWK/)
    expect(build({ key: await exportJWK(privateKey) })).toThrow(/P-256 or OKP Ed25519/)
    const ok = await generateKeyPair('ES256', { extractable: true })
    expect(build({ key: await exportJWK(ok.privateKey), kid: '' })).toThrow(/kid/)
  })

  test('security: without an origin (or the route resource) offers are never signed for a Host the buyer chose', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const key = await exportJWK(privateKey)
    const accepts: OfferOptions = { network: 'eip155:8453', price: '$0.01', payTo }
    expect(() =>
      paymentRequired({ facilitator: unused, offerSigning: { key }, routes: { 'GET /a': { accepts } } }),
    ).toThrow(/set origin/)
    // A route with its own resource, or an origin function that answers nothing for this request.
    let known: string | undefined
    const hono = new Hono()
    hono.use(
      paymentRequired({
        facilitator: unused,
        origin: () => known,
        offerSigning: { key },
        routes: { 'GET /a': { accepts }, 'GET /fixed': { accepts, resource: 'https://api.example.com/fixed' } },
      }),
    )
    expect(offersOf(await hono.request('http://attacker.example/a'))).toBeUndefined()
    expect(offersOf(await hono.request('http://attacker.example/fixed'))).toHaveLength(1)
    known = 'https://api.example.com'
    expect(offersOf(await hono.request('http://attacker.example/a'))).toHaveLength(1)
  })
})
