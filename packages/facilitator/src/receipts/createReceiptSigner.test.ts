import { canonicalJson } from '@tollgate/protocol'
import { compactVerify, decodeProtectedHeader, importJWK } from 'jose'
import { describe, expect, test } from 'vitest'
import {
  createReceiptSigner,
  didWebOf,
  generateReceiptKey,
  parseReceiptKeys,
  publicReceiptKey,
  rotateReceiptKeys,
} from './createReceiptSigner.ts'

const claims = { version: 1, resourceUrl: 'https://api.example.com/x', network: 'eip155:8453', amount: '1000' }

describe('createReceiptSigner', () => {
  test.each(['ES256', 'EdDSA'] as const)(
    'default: %s signs a compact JWS, header { alg, kid }, JCS payload',
    async (alg) => {
      const key = await generateReceiptKey(alg)
      const signer = await createReceiptSigner([key])
      const jws = await signer.sign(claims)
      expect(decodeProtectedHeader(jws)).toEqual({ alg, kid: key.kid })
      // The header is exactly what @x402/extensions' createJWS writes: JSON.stringify({ alg, kid }).
      expect(atob((jws.split('.')[0] as string).replace(/-/g, '+').replace(/_/g, '/'))).toBe(
        JSON.stringify({ alg, kid: key.kid }),
      )
      const { payload } = await compactVerify(jws, await importJWK(signer.jwks.keys[0] as object, alg))
      expect(new TextDecoder().decode(payload)).toBe(canonicalJson(claims))
      expect(new TextDecoder().decode(payload)).toBe(
        '{"amount":"1000","network":"eip155:8453","resourceUrl":"https://api.example.com/x","version":1}',
      )
      expect(signer.jwks.keys[0]).not.toHaveProperty('d')
      expect(signer.jwks.keys[0]).toMatchObject({ kid: key.kid, alg, use: 'sig' })
    },
  )

  test('behavior: a rotation keeps the old keys public only, the new one first', async () => {
    const first = await generateReceiptKey('ES256')
    const rotated = await rotateReceiptKeys([first], 'EdDSA')
    expect(rotated).toHaveLength(2)
    expect(rotated[0]).toMatchObject({ alg: 'EdDSA', crv: 'Ed25519' })
    expect(rotated[0]?.d).toEqual(expect.any(String))
    expect(rotated[1]).toEqual(publicReceiptKey(first))
    const signer = await createReceiptSigner(rotated)
    expect(signer.kid).toBe(rotated[0]?.kid)
    expect(signer.jwks.keys.map((key) => key.kid)).toEqual([rotated[0]?.kid, first.kid])
  })

  test('security: a key list without the active private key, a wrong curve or a twice-listed kid is refused', async () => {
    const key = await generateReceiptKey('ES256')
    expect(() => parseReceiptKeys({ keys: [publicReceiptKey(key)] })).toThrow(/private part/)
    expect(() => parseReceiptKeys({ keys: [{ ...key, alg: 'EdDSA' }] })).toThrow(/OKP Ed25519/)
    expect(() => parseReceiptKeys({ keys: [{ ...key, alg: 'HS256' }] })).toThrow(/ES256 or EdDSA/)
    expect(() => parseReceiptKeys({ keys: [key, publicReceiptKey(key)] })).toThrow(/twice/)
    expect(() => parseReceiptKeys({ keys: [] })).toThrow(/at least one/)
    // The message never carries the key material.
    try {
      parseReceiptKeys({ keys: [{ ...key, crv: 'P-384' }] })
    } catch (error) {
      expect(String(error)).not.toContain(key.d as string)
    }
  })

  test('default: with a did:web origin the kid is a DID URL and the DID document lists every key', async () => {
    expect(didWebOf('https://facilitator.example.com')).toBe('did:web:facilitator.example.com')
    expect(didWebOf('http://127.0.0.1:4020/')).toBe('did:web:127.0.0.1%3A4020')
    expect(() => didWebOf('https://f.example.com/receipts')).toThrow(TypeError)
    expect(() => didWebOf('not a url')).toThrow(TypeError)
    const rotated = await rotateReceiptKeys([await generateReceiptKey()])
    const signer = await createReceiptSigner(rotated, { didWebOrigin: 'https://f.example.com' })
    const kids = rotated.map((key) => `did:web:f.example.com#${key.kid}`)
    expect(signer.kid).toBe(kids[0])
    expect(decodeProtectedHeader(await signer.sign(claims)).kid).toBe(kids[0])
    expect(signer.jwks.keys.map((key) => key.kid)).toEqual(kids)
    expect(signer.didDocument).toMatchObject({
      id: 'did:web:f.example.com',
      assertionMethod: kids,
      verificationMethod: kids.map((id) => ({ id, type: 'JsonWebKey2020', controller: 'did:web:f.example.com' })),
    })
    expect(JSON.stringify(signer.didDocument)).not.toContain('"d"')
  })
})
