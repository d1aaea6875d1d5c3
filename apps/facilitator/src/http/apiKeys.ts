/**
 * API keys of the facilitator: the record, the port its stores implement (memory here, SQLite in
 * apiKeysSqlite.ts, PostgreSQL in apiKeysPostgres.ts), and the key itself. A key is
 * `tg_<id>_<secret>`: the id names the record, the secret (32 random bytes) is never stored, only the
 * SHA-256 of the whole key. It is shown once, by `tollgate-facilitator keys create`.
 */
import type { Address } from 'viem'

/** What a key may do: `verify`, `settle`, `release` the payments of its `payTo` list, or `admin`. */
export type Scope = 'verify' | 'settle' | 'release' | 'admin'

/** Every scope, in order. */
export const scopes: readonly Scope[] = ['verify', 'settle', 'release', 'admin']

/** The payees a key may act for: addresses (checksummed as given), or `'*'` for any. */
export type PayToList = readonly Address[] | '*'

/** One API key as stored: never the key, only its hash. */
export type ApiKeyRecord = {
  /** The public part of the key (`tg_<id>_…`), 16 hex digits. */
  id: string
  /** SHA-256 of the whole key, lower-case hex. */
  hash: string
  scopes: readonly Scope[]
  payTo: PayToList
  /** A name for people (`--label`), or empty. */
  label: string
  /** Seconds since the epoch. */
  createdAt: bigint
  /** Seconds since the epoch; set once, by `keys revoke`. */
  revokedAt?: bigint | undefined
}

/** Where API keys live: shared by every node that shares the ledger. */
export type ApiKeyStore = {
  insert(record: ApiKeyRecord): Promise<void>
  get(id: string): Promise<ApiKeyRecord | undefined>
  /** Every key, newest first, revoked ones included. */
  list(): Promise<ApiKeyRecord[]>
  /** Marks the key revoked; `false` when there is no such key or it was revoked already. */
  revoke(id: string, now: bigint): Promise<boolean>
  close(): Promise<void>
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** SHA-256 of a key, lower-case hex (Web Crypto). */
export async function hashApiKey(key: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))))
}

const keyPattern = /^tg_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** The id of a well-formed key, else `undefined`. */
export function apiKeyId(key: string): string | undefined {
  return keyPattern.exec(key)?.[1]
}

/** Compares two equal-length hex strings in constant time. */
export function sameHash(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

/** Options of {@link createApiKey}. */
export type CreateApiKeyParameters = {
  scopes: readonly Scope[]
  payTo: PayToList
  label?: string
  now: bigint
  /** Random bytes. Default: `crypto.getRandomValues`. */
  random?: (size: number) => Uint8Array
}

/**
 * A new key and its record: the key is returned once and must be shown to the operator then; the
 * record holds only its hash.
 *
 * @example
 * const { key, record } = await createApiKey({ scopes: ['verify', 'settle'], payTo: [seller], now })
 * await store.insert(record) // print `key` once
 */
export async function createApiKey({
  scopes: granted,
  payTo,
  label = '',
  now,
  random = (size) => crypto.getRandomValues(new Uint8Array(size)),
}: CreateApiKeyParameters): Promise<{ key: string; record: ApiKeyRecord }> {
  const id = hex(random(8))
  const key = `tg_${id}_${base64url(random(32))}`
  return { key, record: { id, hash: await hashApiKey(key), scopes: [...granted], payTo, label, createdAt: now } }
}

/** The stored form of a payTo list: `*` or comma-separated addresses. */
export const encodePayTo = (payTo: PayToList): string => (payTo === '*' ? '*' : payTo.join(','))

/** The inverse of {@link encodePayTo}. */
export const decodePayTo = (text: string): PayToList =>
  text === '*' ? '*' : (text.split(',').filter((item) => item !== '') as Address[])

/** The stored form of scopes, and back (unknown scopes are dropped). */
export const encodeScopes = (granted: readonly Scope[]): string => granted.join(',')
export const decodeScopes = (text: string): Scope[] =>
  text.split(',').filter((item): item is Scope => (scopes as readonly string[]).includes(item))

/**
 * API keys in memory (tests, and a node with auth configured in code).
 *
 * @example
 * const store = createMemoryApiKeyStore()
 */
export function createMemoryApiKeyStore(): ApiKeyStore {
  const records = new Map<string, ApiKeyRecord>()
  return {
    async insert(record) {
      if (records.has(record.id)) throw new Error(`API key ${record.id} exists`)
      records.set(record.id, { ...record })
    },
    async get(id) {
      const record = records.get(id)
      return record && { ...record }
    },
    async list() {
      return [...records.values()].reverse().map((record) => ({ ...record }))
    },
    async revoke(id, now) {
      const record = records.get(id)
      if (!record || record.revokedAt !== undefined) return false
      record.revokedAt = now
      return true
    },
    async close() {},
  }
}
