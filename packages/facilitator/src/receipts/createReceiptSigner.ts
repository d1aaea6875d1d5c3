import { canonicalJson } from '@tollgate/protocol'
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

/** The receipt signature algorithms: ES256 (P-256, the default) or EdDSA (Ed25519). */
export type ReceiptAlgorithm = 'ES256' | 'EdDSA'

/** A receipt signing key as kept in the key file: a JWK with `kid` and `alg` (`d` only on the active key). */
export type ReceiptKey = JWK & { kid: string; alg: ReceiptAlgorithm }

/** The published keys: public JWKs (`kid`, `alg`, `use: "sig"`), the active one first. */
export type ReceiptJwks = { keys: JWK[] }

/** Options of {@link createReceiptSigner}. */
export type CreateReceiptSignerOptions = {
  /**
   * The facilitator's public origin (`https://facilitator.example.com`): the JWS `kid` becomes a did:web
   * DID URL (`did:web:facilitator.example.com#<key kid>`, as the x402 spec asks) and {@link ReceiptSigner.didDocument}
   * is served at `/.well-known/did.json`, so a verifier can resolve the key from the kid alone.
   */
  didWebOrigin?: string
}

/** A DID document (did:web) listing the receipt keys as JsonWebKey2020 verification methods. */
export type ReceiptDidDocument = {
  '@context': string[]
  id: string
  verificationMethod: { id: string; type: 'JsonWebKey2020'; controller: string; publicKeyJwk: JWK }[]
  assertionMethod: string[]
}

/** Signs receipts and offers with the active key; publishes every key it knows (retired ones too). */
export type ReceiptSigner = {
  /** `kid` of the active key: new receipts are signed with it. */
  readonly kid: string
  readonly algorithm: ReceiptAlgorithm
  /** The public keys, active first: `GET /.well-known/jwks.json`. */
  readonly jwks: ReceiptJwks
  /** With `didWebOrigin`: the DID document of `/.well-known/did.json`. */
  readonly didDocument?: ReceiptDidDocument
  /** The compact JWS of `claims` (header `{ alg, kid }`, payload their JCS-canonical JSON). */
  sign(claims: Record<string, unknown>): Promise<string>
}

/**
 * The did:web DID of an origin (`https://host:8443` -> `did:web:host%3A8443`; no path allowed).
 * Throws a `TypeError` for anything but an http(s) origin.
 */
export function didWebOf(origin: string): string {
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    throw new TypeError('didWebOrigin must be an http(s) origin such as https://facilitator.example.com')
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new TypeError('didWebOrigin must be an http(s) origin such as https://facilitator.example.com')
  }
  return `did:web:${encodeURIComponent(url.host)}`
}

const publicMembers = {
  ES256: ['kty', 'crv', 'x', 'y'],
  EdDSA: ['kty', 'crv', 'x'],
} as const

const expectedCurve = { ES256: ['EC', 'P-256'], EdDSA: ['OKP', 'Ed25519'] } as const

/** The public part of a key, as published. */
export function publicReceiptKey(key: ReceiptKey): JWK {
  const out: JWK = {}
  for (const member of publicMembers[key.alg]) {
    const value = key[member]
    if (typeof value === 'string') out[member] = value
  }
  return { ...out, kid: key.kid, alg: key.alg, use: 'sig' }
}

/**
 * A new signing key (Web Crypto through jose), with `kid` its RFC 7638 thumbprint.
 *
 * @example
 * const key = await generateReceiptKey('ES256') // { kty: 'EC', crv: 'P-256', x, y, d, kid, alg: 'ES256' }
 */
export async function generateReceiptKey(algorithm: ReceiptAlgorithm = 'ES256'): Promise<ReceiptKey> {
  const { privateKey } = await generateKeyPair(algorithm === 'EdDSA' ? 'Ed25519' : 'ES256', { extractable: true })
  const jwk = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { ...jwk, kid, alg: algorithm }
}

/**
 * Checks a key list (the active key first, with its private part; retired keys public only or
 * private) and returns it; throws a `TypeError` naming the bad key (never its value).
 */
export function parseReceiptKeys(value: unknown): ReceiptKey[] {
  const keys = (value as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('expected { "keys": [ … ] } with at least one key')
  const seen = new Set<string>()
  return keys.map((key: Record<string, unknown>, index) => {
    const where = `keys[${index}]`
    if (key === null || typeof key !== 'object') throw new TypeError(`${where}: expected a JWK object`)
    const { kid, alg } = key
    if (typeof kid !== 'string' || !/^[A-Za-z0-9._:#%-]{1,200}$/.test(kid))
      throw new TypeError(`${where}: kid is required`)
    if (alg !== 'ES256' && alg !== 'EdDSA') throw new TypeError(`${where} (${kid}): alg must be ES256 or EdDSA`)
    const [kty, crv] = expectedCurve[alg]
    if (key.kty !== kty || key.crv !== crv) throw new TypeError(`${where} (${kid}): ${alg} needs a ${kty} ${crv} key`)
    if (index === 0 && typeof key.d !== 'string')
      throw new TypeError(`${where} (${kid}): the active key needs its private part`)
    if (seen.has(kid)) throw new TypeError(`${where}: kid ${kid} is listed twice`)
    seen.add(kid)
    return key as ReceiptKey
  })
}

/**
 * The receipt signer over a key list: the first key signs, every key is published (so receipts
 * signed before a rotation still verify). Web APIs only.
 *
 * @example
 * const signer = await createReceiptSigner([await generateReceiptKey()])
 * const jws = await signer.sign({ version: 1, network: 'eip155:8453', … })
 */
export async function createReceiptSigner(
  keys: readonly ReceiptKey[],
  { didWebOrigin }: CreateReceiptSignerOptions = {},
): Promise<ReceiptSigner> {
  const [active] = parseReceiptKeys({ keys })
  if (!active) throw new TypeError('no receipt key')
  const did = didWebOrigin === undefined ? undefined : didWebOf(didWebOrigin)
  const kidOf = (key: ReceiptKey) => (did ? `${did}#${key.kid}` : key.kid)
  const privateKey = await importJWK(active, active.alg)
  const header = { alg: active.alg, kid: kidOf(active) }
  const encoder = new TextEncoder()
  const published = keys.map((key) => ({ ...publicReceiptKey(key), kid: kidOf(key) }))
  const jwks: ReceiptJwks = { keys: published }
  const didDocument: ReceiptDidDocument | undefined = did
    ? {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
        id: did,
        verificationMethod: published.map((key) => ({
          id: key.kid as string,
          type: 'JsonWebKey2020',
          controller: did,
          publicKeyJwk: key,
        })),
        assertionMethod: published.map((key) => key.kid as string),
      }
    : undefined
  return {
    kid: header.kid,
    algorithm: active.alg,
    jwks,
    ...(didDocument ? { didDocument } : {}),
    sign: (claims) =>
      new CompactSign(encoder.encode(canonicalJson(claims))).setProtectedHeader(header).sign(privateKey),
  }
}

/**
 * The key list after a rotation: a new active key first, the old ones kept public only (their
 * private parts are dropped: they never sign again).
 */
export async function rotateReceiptKeys(
  keys: readonly ReceiptKey[],
  algorithm: ReceiptAlgorithm = keys[0]?.alg ?? 'ES256',
): Promise<ReceiptKey[]> {
  const next = await generateReceiptKey(algorithm)
  return [next, ...keys.map((key) => ({ ...publicReceiptKey(key), kid: key.kid, alg: key.alg }) as ReceiptKey)]
}
