/**
 * Auth of the facilitator service over HTTP, against a real anvil: API keys made by the
 * `tollgate-facilitator keys` CLI (a child process, SQLite in the data directory) and per-request
 * JWTs (ES256 and EdDSA, Coinbase's style: `kid`, `uris`, `iat`/`nbf`/`exp`) from a JWKS file.
 * Every outcome: 401 without, with a bad, with a revoked key; 403 without the scope and for a payTo
 * outside the key's list (no transaction sent); 200 with a valid key; JWTs valid, expired, not yet
 * valid, signed by the wrong key, or for another uri; a JWT minted for another facilitator that
 * shares the JWKS is refused whatever `Host` the request names, and a JWKS without the configured
 * public host (`TOLLGATE_AUTH_JWT_HOST`) refuses to start.
 */

import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { httpFacilitator } from '@tollgate/hono'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const run = promisify(execFile)
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-auth-'))
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_'))) as NodeJS.ProcessEnv

let chain: LocalChain
let running: RunningFacilitator
/** This facilitator's public host (TOLLGATE_AUTH_JWT_HOST): what its JWTs' uris name. */
const host = 'facilitator-a.test'
/** Another facilitator sharing the same JWKS. */
const otherHost = 'facilitator-b.test'
let jwks: string
// Another seller: a key for the seller may not settle to it.
const otherSeller = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'

type Created = { id: string; key: string; scopes: string[]; payTo: string[] | '*' }
async function keys(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [bin, 'keys', ...args], { env: { ...cleanEnv(), TOLLGATE_DATA_DIR: dataDir } })
}
async function createKey(scopes: string, payTo: string): Promise<Created> {
  const { stdout } = await keys('create', '--scopes', scopes, '--pay-to', payTo, '--label', 'test')
  return JSON.parse(stdout) as Created
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
let es256: PrivateKey
let eddsa: PrivateKey
let stranger: PrivateKey

beforeAll(async () => {
  chain = await startLocalChain()
  const a = await generateKeyPair('ES256')
  const b = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  stranger = (await generateKeyPair('ES256')).privateKey
  es256 = a.privateKey
  eddsa = b.privateKey
  const entry = async (key: PrivateKey, kid: string): Promise<Record<string, unknown>> => ({
    ...(await exportJWK(key)),
    kid,
    scopes: ['verify', 'settle'],
    payTo: [chain.accounts.seller.address],
  })
  jwks = join(dataDir, 'jwks.json')
  writeFileSync(
    jwks,
    JSON.stringify({ keys: [await entry(a.publicKey, 'seller-es'), await entry(b.publicKey, 'seller-ed')] }),
  )
  running = await startFacilitator(
    {
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_DATA_DIR: dataDir,
      TOLLGATE_POLLING_INTERVAL_MS: '20',
      TOLLGATE_AUTH_JWKS_FILE: jwks,
      TOLLGATE_AUTH_JWT_HOST: host,
      // Revocations take effect at once (the default remembers a key for 5 s).
      TOLLGATE_AUTH_KEY_CACHE_MS: '0',
    },
    { logError: () => {} },
  )
})
afterAll(async () => {
  await running?.stop()
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

async function payment(value: bigint, payTo: string = chain.accounts.seller.address) {
  const payer = chain.accounts.payers[1]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: payTo as `0x${string}`,
    value,
    validAfter: 0n,
    validBefore: BigInt(Math.floor(Date.now() / 1000) + 120),
  })
  const requirements = {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: value.toString(),
    asset: chain.usdc,
    payTo,
    maxTimeoutSeconds: 120,
    extra: { name: 'USD Coin', version: '2' },
  }
  return JSON.stringify({
    x402Version: 2,
    paymentPayload: { x402Version: 2, accepted: requirements, payload },
    paymentRequirements: requirements,
  })
}

async function post(path: string, body: string, authorization?: string) {
  const response = await fetch(`${running.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body,
  })
  return { status: response.status, json: await response.json(), challenge: response.headers.get('www-authenticate') }
}

const unauthorized = {
  error: 'unauthorized',
  message: 'Authentication is required: send a valid API key or token.',
}

async function jwt(
  key: PrivateKey,
  {
    kid,
    alg = 'ES256',
    uri,
    iat,
    nbf,
    exp,
  }: { kid: string; alg?: string; uri: string; iat?: number; nbf?: number; exp?: number },
) {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({ sub: kid, iss: 'cdp', uris: [uri] })
    .setProtectedHeader({ alg, kid, typ: 'JWT', nonce: crypto.randomUUID() })
    .setIssuedAt(iat ?? now)
    .setNotBefore(nbf ?? now)
    .setExpirationTime(exp ?? now + 120)
    .sign(key)
}

describe('auth: API keys', () => {
  test('default: /supported and /health stay public', async () => {
    expect((await fetch(`${running.url}/supported`)).status).toBe(200)
    expect((await fetch(`${running.url}/health`)).status).toBe(200)
  })

  test('behavior: no key is 401 unauthorized with a Bearer challenge, on every payment route', async () => {
    const body = await payment(1_000n)
    for (const path of ['/verify', '/settle', '/release']) {
      const answer = await post(path, body)
      expect(answer).toEqual({ status: 401, json: unauthorized, challenge: 'Bearer' })
    }
  })

  test('behavior: a bad key is 401 (wrong secret, malformed, another scheme)', async () => {
    const { id } = await createKey('verify', chain.accounts.seller.address)
    const body = await payment(1_000n)
    for (const authorization of [
      `Bearer tg_${id}_${'A'.repeat(43)}`,
      'Bearer tg_0000000000000000_nope',
      'Bearer not-a-key',
      'Basic dXNlcjpwYXNz',
    ]) {
      expect(await post('/verify', body, authorization)).toMatchObject({ status: 401, json: unauthorized })
    }
  })

  test('behavior: a valid key verifies and settles for its payTo (200); keys list shows no key or hash', async () => {
    const created = await createKey('verify,settle', chain.accounts.seller.address)
    expect(created.key).toMatch(/^tg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    const body = await payment(2_000n)
    const verified = await post('/verify', body, `Bearer ${created.key}`)
    expect(verified).toMatchObject({ status: 200, json: { isValid: true } })
    const settled = await post('/settle', body, `Bearer ${created.key}`)
    expect(settled).toMatchObject({ status: 200, json: { success: true } })
    const { stdout } = await keys('list')
    expect(stdout).toContain(created.id)
    expect(stdout).not.toContain(created.key)
    expect(stdout).not.toContain(created.key.replace(/^tg_[0-9a-f]{16}_/, '')) // the secret (base64url: may hold '_')
  })

  test('behavior: a key without the scope is 403 forbidden', async () => {
    const { key } = await createKey('verify', chain.accounts.seller.address)
    const body = await payment(3_000n)
    expect(await post('/settle', body, `Bearer ${key}`)).toEqual({
      status: 403,
      json: { error: 'forbidden', message: 'This API key or token may not do this.' },
      challenge: null,
    })
    expect(await post('/release', body, `Bearer ${key}`)).toMatchObject({ status: 403 })
  })

  test('behavior: a key for one seller settling to another payTo is 403, and nothing is sent', async () => {
    const { key } = await createKey('verify,settle,release', chain.accounts.seller.address)
    const body = await payment(4_000n, otherSeller)
    const before = await chain.balanceOf(otherSeller)
    const nonceBefore = await chain.publicClient.getTransactionCount({ address: chain.accounts.facilitator.address })
    for (const path of ['/verify', '/settle', '/release']) {
      expect(await post(path, body, `Bearer ${key}`)).toMatchObject({
        status: 403,
        json: { error: 'forbidden', message: 'This API key or token may not act for this payTo.' },
      })
    }
    expect(await chain.balanceOf(otherSeller)).toBe(before)
    expect(await chain.publicClient.getTransactionCount({ address: chain.accounts.facilitator.address })).toBe(
      nonceBefore,
    )
    // A requirements payTo on the list with an authorization to someone else is refused too.
    const mixed = JSON.parse(body)
    mixed.paymentRequirements.payTo = chain.accounts.seller.address
    mixed.paymentPayload.accepted.payTo = chain.accounts.seller.address
    expect(await post('/settle', JSON.stringify(mixed), `Bearer ${key}`)).toMatchObject({ status: 403 })
  })

  test('behavior: a revoked key is 401', async () => {
    const created = await createKey('verify', chain.accounts.seller.address)
    const body = await payment(5_000n)
    expect(await post('/verify', body, `Bearer ${created.key}`)).toMatchObject({ status: 200 })
    const { stdout } = await keys('revoke', created.id)
    expect(JSON.parse(stdout)).toEqual({ id: created.id, revoked: true })
    expect(await post('/verify', await payment(5_001n), `Bearer ${created.key}`)).toMatchObject({
      status: 401,
      json: unauthorized,
    })
    const again = await keys('revoke', created.id).catch((error: { code: number; stderr: string }) => error)
    expect(again).toMatchObject({ code: 1 })
  })

  test('behavior: the CLI refuses unknown scopes, bad addresses and a missing --pay-to (exit 2)', async () => {
    for (const args of [
      ['create', '--scopes', 'verify,steal', '--pay-to', chain.accounts.seller.address],
      ['create', '--scopes', 'verify', '--pay-to', '0x1234'],
      ['create', '--scopes', 'settle'],
      ['revoke', 'nope'],
    ]) {
      expect(await keys(...args).catch((error: { code: number }) => error)).toMatchObject({ code: 2 })
    }
  })
})

describe('auth: JWTs', () => {
  test('default: an ES256 and an EdDSA token bound to the uri verify and settle (200)', async () => {
    const body = await payment(6_000n)
    const verify = await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/verify` })
    expect(await post('/verify', body, `Bearer ${verify}`)).toMatchObject({ status: 200, json: { isValid: true } })
    const settle = await jwt(eddsa, { kid: 'seller-ed', alg: 'EdDSA', uri: `POST ${host}/settle` })
    expect(await post('/settle', body, `Bearer ${settle}`)).toMatchObject({ status: 200, json: { success: true } })
  })

  test('behavior: expired, not yet valid, too long-lived, wrong key, unknown kid, wrong uri: 401', async () => {
    const body = await payment(7_000n)
    const now = Math.floor(Date.now() / 1000)
    const uri = `POST ${host}/verify`
    const tokens = [
      await jwt(es256, { kid: 'seller-es', uri, iat: now - 200, nbf: now - 200, exp: now - 60 }),
      await jwt(es256, { kid: 'seller-es', uri, nbf: now + 60 }),
      await jwt(es256, { kid: 'seller-es', uri, exp: now + 3600 }),
      await jwt(stranger, { kid: 'seller-es', uri }),
      await jwt(es256, { kid: 'someone', uri }),
      await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/settle` }),
      await jwt(es256, { kid: 'seller-es', uri: `POST elsewhere.example/verify` }),
    ]
    for (const token of tokens) {
      expect(await post('/verify', body, `Bearer ${token}`)).toMatchObject({ status: 401, json: unauthorized })
    }
  })

  test('behavior: a token for one seller settling to another payTo is 403; a scope it lacks is 403', async () => {
    const body = await payment(8_000n, otherSeller)
    const settle = await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/settle` })
    expect(await post('/settle', body, `Bearer ${settle}`)).toMatchObject({ status: 403, json: { error: 'forbidden' } })
    const release = await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/release` })
    expect(await post('/release', await payment(8_001n), `Bearer ${release}`)).toMatchObject({ status: 403 })
  })
})

describe('auth: JWTs of another facilitator', () => {
  /** POST with a `Host` header of our choosing (fetch does not let a caller set it). */
  function postWithHost(path: string, body: string, authorization: string, hostHeader: string) {
    const { hostname, port } = new URL(running.url)
    return new Promise<{ status: number; json: unknown }>((resolve, reject) => {
      const request = httpRequest(
        {
          hostname,
          port,
          path,
          method: 'POST',
          headers: { host: hostHeader, authorization, 'content-type': 'application/json' },
        },
        (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            text += chunk
          })
          response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }))
        },
      )
      request.once('error', reject)
      request.end(body)
    })
  }

  test('behavior: a token minted for facilitator B (same JWKS) is refused 401 by A, even sent with Host: B', async () => {
    const body = await payment(9_200n)
    const forB = await jwt(es256, { kid: 'seller-es', uri: `POST ${otherHost}/verify` })
    expect(await postWithHost('/verify', body, `Bearer ${forB}`, otherHost)).toEqual({
      status: 401,
      json: unauthorized,
    })
    // A's own token passes whatever Host the request names: the host is A's configuration.
    const forA = await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/verify` })
    expect(await postWithHost('/verify', body, `Bearer ${forA}`, otherHost)).toMatchObject({
      status: 200,
      json: { isValid: true },
    })
  })

  test('behavior: JWT keys without TOLLGATE_AUTH_JWT_HOST refuse to start, naming the variable', async () => {
    const started = await startFacilitator(
      {
        TOLLGATE_PORT: '0',
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: join(dataDir, 'no-host'),
        TOLLGATE_AUTH_JWKS_FILE: jwks,
      },
      { logError: () => {} },
    ).catch((error: unknown) => error)
    if (!(started instanceof Error)) await (started as RunningFacilitator).stop()
    expect(started).toBeInstanceOf(Error)
    expect((started as Error).message).toMatch(/TOLLGATE_AUTH_JWT_HOST: is required with TOLLGATE_AUTH_JWKS_FILE/)
  })
})

describe('auth: httpFacilitator', () => {
  test('behavior: sends its apiKey on every call; without one the facilitator refuses it as unauthorized', async () => {
    const { key } = await createKey('verify,settle,release', chain.accounts.seller.address)
    const call = JSON.parse(await payment(9_000n))
    const anonymous = httpFacilitator({ url: running.url })
    expect(await anonymous.verify(call)).toMatchObject({ ok: false, code: 'unauthorized' })
    const keyed = httpFacilitator({ url: running.url, apiKey: key })
    expect(await keyed.verify(call)).toMatchObject({ ok: true })
    expect(await keyed.settle(call)).toMatchObject({ ok: true, response: { success: true } })
  })

  test('behavior: createAuthHeaders carries a per-request JWT, as for Coinbase', async () => {
    const call = JSON.parse(await payment(9_100n))
    const facilitator = httpFacilitator({
      url: running.url,
      createAuthHeaders: async () => ({
        verify: { authorization: `Bearer ${await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/verify` })}` },
        settle: { authorization: `Bearer ${await jwt(es256, { kid: 'seller-es', uri: `POST ${host}/settle` })}` },
      }),
    })
    expect(await facilitator.verify(call)).toMatchObject({ ok: true })
    expect(await facilitator.settle(call)).toMatchObject({ ok: true, response: { success: true } })
  })
})
