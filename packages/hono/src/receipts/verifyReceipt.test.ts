import { canonicalJson } from '@tollgate/protocol'
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import { describe, expect, test } from 'vitest'
import { createReceiptVerifier, verifyReceipt } from './verifyReceipt.ts'

async function keyPair(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { privateKey, publicKey } = await generateKeyPair(alg === 'EdDSA' ? 'Ed25519' : 'ES256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { privateKey, jwk: { ...jwk, kid, alg, use: 'sig' } as JWK, kid }
}

const claims = {
  version: 1,
  network: 'eip155:8453',
  resourceUrl: 'https://api.example.com/weather',
  payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  issuedAt: 1_800_000_000,
  transaction: `0x${'ab'.repeat(32)}`,
  receiptId: 'AAAAAAAAAAAAAAAAAAAAAA',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  amount: '1000',
  blockNumber: '12',
}

const sign = (privateKey: CryptoKey, kid: string, body: object = claims, alg = 'ES256') =>
  new CompactSign(new TextEncoder().encode(canonicalJson(body))).setProtectedHeader({ alg, kid }).sign(privateKey)

/** A JWKS endpoint in memory: counts fetches; `keys` may change between them. */
function endpoint(keys: JWK[]) {
  const state = { keys, fetches: 0, fail: false }
  const fetchImpl = (async () => {
    state.fetches++
    if (state.fail) return new Response('down', { status: 503 })
    return Response.json({ keys: state.keys })
  }) as typeof fetch
  return { state, fetchImpl }
}

describe('createReceiptVerifier', () => {
  test.each(['ES256', 'EdDSA'] as const)('default: a %s receipt verifies and returns typed claims', async (alg) => {
    const { privateKey, jwk, kid } = await keyPair(alg)
    const verify = createReceiptVerifier({ jwks: { keys: [jwk] } })
    const result = await verify(await sign(privateKey, kid, claims, alg), { resourceUrl: claims.resourceUrl })
    expect(result).toEqual({ ok: true, claims, kid, algorithm: alg })
    // As the settle response carries it, and as the signed-receipt object.
    const jws = await sign(privateKey, kid, claims, alg)
    const response = {
      success: true,
      transaction: claims.transaction,
      network: claims.network,
      extensions: { 'offer-receipt': { info: { receipt: { format: 'jws', signature: jws } } } },
    }
    expect((await verify(response)).ok).toBe(true)
    expect((await verify({ format: 'jws', signature: jws })).ok).toBe(true)
  })

  test('behavior: the JWKS is fetched once, cached, and fetched again on an unknown kid (past the cooldown)', async () => {
    const a = await keyPair()
    const b = await keyPair('EdDSA')
    const { state, fetchImpl } = endpoint([a.jwk])
    let clock = 0
    const verify = createReceiptVerifier({
      jwks: 'https://f.example/.well-known/jwks.json',
      fetch: fetchImpl,
      refreshCooldownMs: 1_000,
      clock: () => clock,
    })
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect(state.fetches).toBe(1)
    // Rotation: a new key published; within the cooldown an unknown kid does not fetch.
    state.keys = [b.jwk, a.jwk]
    clock = 500
    expect(await verify(await sign(b.privateKey, b.kid, claims, 'EdDSA'))).toMatchObject({
      code: 'receipt_unknown_key',
    })
    expect(state.fetches).toBe(1)
    clock = 2_000
    expect((await verify(await sign(b.privateKey, b.kid, claims, 'EdDSA'))).ok).toBe(true)
    expect(state.fetches).toBe(2)
    // Forged kids cannot make it fetch in a loop.
    for (let i = 0; i < 5; i++) await verify(await sign(a.privateKey, `forged-${i}`))
    expect(state.fetches).toBe(2)
    // The cache expires (5 min default): fetched again; a failing endpoint keeps the known keys.
    state.fail = true
    clock = 400_000
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect(state.fetches).toBe(3)
  })

  test('behavior: on the injected clock, the JWKS is fetched again once cacheMs has passed, and an unknown kid fetches once refreshCooldownMs has passed since the last fetch', async () => {
    const a = await keyPair()
    const { state, fetchImpl } = endpoint([a.jwk])
    let clock = 0
    const verify = createReceiptVerifier({
      jwks: 'https://f.example/.well-known/jwks.json',
      fetch: fetchImpl,
      cacheMs: 60_000,
      refreshCooldownMs: 5_000,
      clock: () => clock,
    })
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect(state.fetches).toBe(1)
    clock = 59_999
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect(state.fetches).toBe(1)
    clock = 60_000
    expect((await verify(await sign(a.privateKey, a.kid))).ok).toBe(true)
    expect(state.fetches).toBe(2)
    clock = 64_999
    expect(await verify(await sign(a.privateKey, 'unknown'))).toMatchObject({ code: 'receipt_unknown_key' })
    expect(state.fetches).toBe(2)
    clock = 65_000
    expect(await verify(await sign(a.privateKey, 'unknown'))).toMatchObject({ code: 'receipt_unknown_key' })
    expect(state.fetches).toBe(3)
    // The one-shot verifyReceipt takes the same clock.
    expect(
      (
        await verifyReceipt(await sign(a.privateKey, a.kid), {
          jwks: 'https://f.example/jwks',
          fetch: fetchImpl,
          clock: () => 0,
        })
      ).ok,
    ).toBe(true)
    expect(state.fetches).toBe(4)
  })

  test('fault: an endpoint that fails, times out or answers something else is jwks_unreachable', async () => {
    const { privateKey, kid } = await keyPair()
    const jws = await sign(privateKey, kid)
    const failing = (async () => new Response('no', { status: 500 })) as unknown as typeof fetch
    const throwing = (async () => {
      throw new TypeError('fetch failed')
    }) as unknown as typeof fetch
    const notJwks = (async () => Response.json({ status: 'up' })) as unknown as typeof fetch
    for (const fetchImpl of [failing, throwing, notJwks]) {
      expect(await verifyReceipt(jws, { jwks: 'https://f.example/jwks', fetch: fetchImpl })).toMatchObject({
        ok: false,
        code: 'jwks_unreachable',
      })
    }
  })

  test('security: altered claims, another key under our kid, an alg the key is not for, none and HS256 are refused', async () => {
    const { privateKey, jwk, kid } = await keyPair()
    const other = await keyPair()
    const jwks = { keys: [jwk] }
    const [header, , signature] = (await sign(privateKey, kid)).split('.')
    const forged = btoa(canonicalJson({ ...claims, amount: '1' }))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
    expect(await verifyReceipt(`${header}.${forged}.${signature}`, { jwks })).toMatchObject({
      code: 'receipt_signature_invalid',
    })
    expect(await verifyReceipt(await sign(other.privateKey, kid), { jwks })).toMatchObject({
      code: 'receipt_signature_invalid',
    })
    const ed = await keyPair('EdDSA')
    expect(await verifyReceipt(await sign(ed.privateKey, kid, claims, 'EdDSA'), { jwks })).toMatchObject({
      code: 'receipt_signature_invalid',
    })
    const b64 = (text: string) => btoa(text).replace(/=+$/, '')
    expect(await verifyReceipt(`${b64(JSON.stringify({ alg: 'none', kid }))}.${b64('{}')}.`, { jwks })).toMatchObject({
      code: 'receipt_unsupported_algorithm',
    })
    expect(
      await verifyReceipt(`${b64(JSON.stringify({ alg: 'HS256', kid }))}.${b64('{}')}.AAAA`, { jwks }),
    ).toMatchObject({
      code: 'receipt_unsupported_algorithm',
    })
    expect(await verifyReceipt(await sign(privateKey, kid, { version: 1, hello: 'world' }), { jwks })).toMatchObject({
      code: 'receipt_malformed',
    })
    expect(await verifyReceipt('a.b', { jwks })).toMatchObject({ code: 'receipt_malformed' })
    expect(await verifyReceipt({ success: false, transaction: '', network: 'eip155:8453' }, { jwks })).toMatchObject({
      code: 'receipt_malformed',
    })
  })

  test('default: resourceUrl, the payment terms and maxAgeSeconds are checked when given', async () => {
    const { privateKey, jwk, kid } = await keyPair()
    const jws = await sign(privateKey, kid)
    const jwks = { keys: [jwk] }
    expect(await verifyReceipt(jws, { jwks, resourceUrl: 'https://api.example.com/other' })).toMatchObject({
      code: 'receipt_resource_mismatch',
    })
    expect(await verifyReceipt(jws, { jwks, maxAgeSeconds: 60, now: () => 1_800_000_030n })).toMatchObject({ ok: true })
    // The terms the seller sells at: a receipt for another payee, amount, asset or network proves nothing.
    const terms = { payTo: claims.payTo.toLowerCase(), amount: 1000n, asset: claims.asset, network: 'eip155:8453' }
    expect(await verifyReceipt(jws, { jwks, ...terms })).toMatchObject({ ok: true })
    for (const wrong of [
      { payTo: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' },
      { amount: '999' },
      { asset: '0x036CbD53842c5426634e7929541eC2318f3dCF7e' },
      { network: 'eip155:84532' },
    ]) {
      expect(await verifyReceipt(jws, { jwks, ...terms, ...wrong })).toMatchObject({ code: 'receipt_payment_mismatch' })
    }
    expect(await verifyReceipt(jws, { jwks, maxAgeSeconds: 60, now: () => 1_800_000_061n })).toMatchObject({
      code: 'receipt_too_old',
    })
  })
})
