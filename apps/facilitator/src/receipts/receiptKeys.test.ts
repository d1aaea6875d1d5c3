import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFacilitator, createMemoryStore, createReceiptSigner, newReceiptId } from '@tollgate/facilitator'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterEach, describe, expect, test } from 'vitest'
import { createApp } from '../http/app.ts'
import { loadReceiptKeys, runReceiptKeysCommand } from './receiptKeys.ts'

const dirs: string[] = []
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-receipt-keys-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

const run = async (args: string[], env: Record<string, string>) => {
  const out: string[] = []
  const code = await runReceiptKeysCommand(args, { env, out: (t) => out.push(t), err: (t) => out.push(t) })
  return { code, text: out.join('') }
}

describe('receipt keys on disk', () => {
  test('default: generated once into the data folder (0600), then read back; two starts at once agree', async () => {
    const dataDir = await tempDir()
    const [a, b] = await Promise.all([
      loadReceiptKeys({ keysFile: undefined, dataDir }, 'EdDSA'),
      loadReceiptKeys({ keysFile: undefined, dataDir }, 'EdDSA'),
    ])
    expect(a).toEqual(b)
    expect(a[0]).toMatchObject({ alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519' })
    expect((await stat(join(dataDir, 'receipt-keys.json'))).mode & 0o777).toBe(0o600)
    expect(await loadReceiptKeys({ keysFile: undefined, dataDir }, 'ES256')).toEqual(a)
  })

  test('default: a configured file must exist and hold a valid list (the error never shows key material)', async () => {
    const dir = await tempDir()
    const keysFile = join(dir, 'keys.json')
    expect(() => loadReceiptKeys({ keysFile, dataDir: dir }, 'ES256')).toThrow(/cannot read/)
    await writeFile(
      keysFile,
      JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'SECRET', kid: 'k', alg: 'EdDSA' }] }),
    )
    let message = ''
    try {
      loadReceiptKeys({ keysFile, dataDir: dir }, 'ES256')
    } catch (error) {
      message = String(error)
    }
    expect(message).toMatch(/OKP Ed25519/)
    expect(message).not.toContain('SECRET')
  })

  test('behavior: receipt-keys rotate puts a new key first and keeps the old one public only; show prints the JWKS', async () => {
    const dataDir = await tempDir()
    const [first] = await loadReceiptKeys({ keysFile: undefined, dataDir }, 'ES256')
    const rotated = await run(['rotate', '--alg', 'EdDSA'], { TOLLGATE_DATA_DIR: dataDir })
    expect(rotated.code).toBe(0)
    const { active, retired } = JSON.parse(rotated.text)
    expect(retired).toEqual([first?.kid])
    const file = JSON.parse(await readFile(join(dataDir, 'receipt-keys.json'), 'utf8'))
    expect(file.keys.map((key: { kid: string }) => key.kid)).toEqual([active, first?.kid])
    expect(file.keys[1].d).toBeUndefined()
    const shown = await run(['show'], { TOLLGATE_DATA_DIR: dataDir })
    expect(JSON.parse(shown.text).keys.every((key: { d?: string }) => key.d === undefined)).toBe(true)
    expect((await run(['rotate', '--alg', 'RS256'], { TOLLGATE_DATA_DIR: dataDir })).code).toBe(2)
    expect((await run(['nope'], { TOLLGATE_DATA_DIR: dataDir })).code).toBe(2)
  })
})

describe('receipt routes', () => {
  const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
  const client = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) })

  test('default: with auth off the JWKS is public and a receipt is found by its (unguessable) id only', async () => {
    const dataDir = await tempDir()
    const signer = await createReceiptSigner(await loadReceiptKeys({ keysFile: undefined, dataDir }, 'ES256'))
    const facilitator = createFacilitator(
      { store: createMemoryStore(), networks: [{ network: 'eip155:8453', client, account }] },
      { receipts: signer },
    )
    const app = createApp(facilitator, { logError: () => undefined })
    const jwks = await app.request('/.well-known/jwks.json')
    expect(await jwks.json()).toEqual(signer.jwks)
    expect((await (await app.request('/supported')).json()).extensions).toContain('offer-receipt')
    expect((await app.request(`/receipts/${newReceiptId()}`)).status).toBe(404)
    expect((await app.request('/receipts/short')).status).toBe(404)
    await facilitator.close()

    const plain = createFacilitator({
      store: createMemoryStore(),
      networks: [{ network: 'eip155:8453', client, account }],
    })
    const off = createApp(plain, { logError: () => undefined })
    expect((await off.request('/.well-known/jwks.json')).status).toBe(404)
    expect((await (await off.request('/supported')).json()).extensions).not.toContain('offer-receipt')
    await plain.close()
  })
})
