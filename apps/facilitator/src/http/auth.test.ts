/** The authenticator and the JWKS parser without a chain (app.request(), memory key store). */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, test } from 'vitest'
import { createApiKey, createMemoryApiKeyStore, hashApiKey } from './apiKeys.ts'
import { createAuthenticate, mayActFor, parseJwtKeys } from './auth.ts'

const seller = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const request = (authorization?: string) => ({ authorization, method: 'POST', path: '/settle' })

describe('createAuthenticate', () => {
  test('default: a stored key authenticates as its record; the store holds only the hash', async () => {
    const keys = createMemoryApiKeyStore()
    const { key, record } = await createApiKey({ scopes: ['admin'], payTo: [seller], now: 1n })
    await keys.insert(record)
    expect(record.hash).toBe(await hashApiKey(key))
    expect(JSON.stringify(await keys.list(), (_, v) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(key)
    const authenticate = createAuthenticate({ keys, cacheMs: 0 })
    expect(await authenticate(request(`Bearer ${key}`))).toEqual({
      ok: true,
      caller: { kind: 'key', keyId: record.id, scopes: ['admin'], payTo: [seller] },
    })
    expect(await authenticate(request(`bearer  ${key}`))).toMatchObject({ ok: true })
    expect(await authenticate(request(key))).toEqual({ ok: false })
    expect(await authenticate(request())).toEqual({ ok: false })
  })

  test('behavior: a revoked key is remembered at most cacheMs', async () => {
    const keys = createMemoryApiKeyStore()
    const { key, record } = await createApiKey({ scopes: ['verify'], payTo: '*', now: 1n })
    await keys.insert(record)
    const cached = createAuthenticate({ keys, cacheMs: 60_000 })
    const uncached = createAuthenticate({ keys, cacheMs: 0 })
    expect(await cached(request(`Bearer ${key}`))).toMatchObject({ ok: true })
    await keys.revoke(record.id, 2n)
    expect(await cached(request(`Bearer ${key}`))).toMatchObject({ ok: true })
    expect(await uncached(request(`Bearer ${key}`))).toEqual({ ok: false })
    // A cached id does not vouch for another secret.
    expect(await cached(request(`Bearer tg_${record.id}_${'x'.repeat(43)}`))).toEqual({ ok: false })
  })
})

describe('mayActFor', () => {
  const caller = { kind: 'key', keyId: 'k', scopes: ['settle'], payTo: [seller] } as const
  test('default: every payee the body names must be on the list (case-insensitive)', () => {
    const body = (payTo: string, to = payTo) => ({
      paymentRequirements: { payTo },
      paymentPayload: { accepted: { payTo }, payload: { authorization: { to } } },
    })
    expect(mayActFor(caller, body(seller.toLowerCase()))).toBe(true)
    expect(mayActFor(caller, body('0x90F79bf6EB2c4f870365E785982E1f101E93b906'))).toBe(false)
    expect(mayActFor(caller, body(seller, '0x90F79bf6EB2c4f870365E785982E1f101E93b906'))).toBe(false)
    expect(mayActFor(caller, { paymentRequirements: { payTo: 42 } })).toBe(false)
    expect(mayActFor({ ...caller, payTo: '*' }, body('0x90F79bf6EB2c4f870365E785982E1f101E93b906'))).toBe(true)
  })
})

describe('parseJwtKeys', () => {
  const ec = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }
  test('default: kid, scopes and payTo are required; private and other keys are refused', async () => {
    expect(
      await parseJwtKeys({ keys: [{ ...ec, kid: 'a', scopes: ['verify'], payTo: [seller.toLowerCase()] }] }),
    ).toEqual([{ kid: 'a', key: { ...ec, kid: 'a' }, scopes: ['verify'], payTo: [seller] }])
    await expect(parseJwtKeys({ keys: [{ ...ec, scopes: ['verify'], payTo: '*' }] })).rejects.toThrow('kid is required')
    await expect(
      parseJwtKeys({ keys: [{ ...ec, kid: 'a', d: 'secret', scopes: ['verify'], payTo: '*' }] }),
    ).rejects.toThrow('a private key')
    await expect(parseJwtKeys({ keys: [{ kty: 'RSA', kid: 'a', scopes: ['verify'], payTo: '*' }] })).rejects.toThrow(
      'expected an EC P-256 or OKP Ed25519 key',
    )
    await expect(parseJwtKeys({ keys: [{ ...ec, kid: 'a', scopes: ['pay'], payTo: '*' }] })).rejects.toThrow(
      'unknown scope',
    )
    await expect(parseJwtKeys({ keys: [{ ...ec, kid: 'a', scopes: ['verify'] }] })).rejects.toThrow('expected payTo')
  })
})

describe('parseJwtKeys: PEM', () => {
  test('behavior: a PEM public key (ES256, EdDSA) verifies tokens like a JWK', async () => {
    for (const alg of ['ES256', 'EdDSA'] as const) {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
      const jwtKeys = await parseJwtKeys({
        keys: [{ kid: 'pem', alg, pem: await exportSPKI(publicKey), scopes: ['settle'], payTo: [seller] }],
      })
      const now = 1_800_000_000
      const token = await new SignJWT({ uris: ['POST f.test/settle'] })
        .setProtectedHeader({ alg, kid: 'pem' })
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 120)
        .sign(privateKey)
      const authenticate = createAuthenticate({ jwtKeys, jwtHost: 'f.test', now: () => BigInt(now + 1) })
      expect(await authenticate(request(`Bearer ${token}`))).toEqual({
        ok: true,
        caller: { kind: 'jwt', keyId: 'pem', scopes: ['settle'], payTo: [seller] },
      })
      // The same token a little after its expiry (and 5 s of tolerance).
      const later = createAuthenticate({ jwtKeys, jwtHost: 'f.test', now: () => BigInt(now + 126) })
      expect(await later(request(`Bearer ${token}`))).toEqual({ ok: false })
    }
    await expect(
      parseJwtKeys({ keys: [{ kid: 'p', alg: 'ES256', pem: 'nope', scopes: ['verify'], payTo: '*' }] }),
    ).rejects.toThrow('pem is not a public key')
  })
})

describe('createAuthenticate: the JWT host', () => {
  const now = 1_800_000_000
  async function setup() {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true })
    const jwtKeys = await parseJwtKeys({
      keys: [{ kid: 'shared', alg: 'ES256', pem: await exportSPKI(publicKey), scopes: ['settle'], payTo: [seller] }],
    })
    const mint = (host: string) =>
      new SignJWT({ uris: [`POST ${host}/settle`] })
        .setProtectedHeader({ alg: 'ES256', kid: 'shared' })
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 120)
        .sign(privateKey)
    return { jwtKeys, mint }
  }

  test('behavior: JWT keys without jwtHost are refused at construction (no fallback to the Host header)', async () => {
    const { jwtKeys } = await setup()
    expect(() => createAuthenticate({ jwtKeys })).toThrow(/jwtHost is required with jwtKeys/)
    // API keys alone need no host.
    expect(() => createAuthenticate({ keys: createMemoryApiKeyStore() })).not.toThrow()
  })

  test('behavior: a token minted for another facilitator sharing the JWKS is refused, whatever Host the request says', async () => {
    const { jwtKeys, mint } = await setup()
    const a = createAuthenticate({ jwtKeys, jwtHost: 'a.example', now: () => BigInt(now + 1) })
    const forB = await mint('b.example')
    // The request carries Host: b.example; the authenticator never reads it.
    expect(await a({ ...request(`Bearer ${forB}`), host: 'b.example' } as never)).toEqual({ ok: false })
    expect(await a(request(`Bearer ${await mint('a.example')}`))).toMatchObject({ ok: true })
  })
})
