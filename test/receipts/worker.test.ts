/**
 * The receipt helper inside workerd (Miniflare 4, bundled with esbuild as wrangler would, no
 * `nodejs_compat`): a receipt from a paid request through the demo and the real facilitator on
 * anvil verifies there against the JWKS fetched over loopback and offline, and a tampered one is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeHeader, receiptOf, settleResponseSchema } from '@tollgate/protocol'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ReceiptStack, signPayment, startReceiptStack } from './harness.ts'

let stack: ReceiptStack
let mf: Miniflare
let workerUrl: string
let outdir: string

beforeAll(async () => {
  stack = await startReceiptStack()
  outdir = await mkdtemp(join(tmpdir(), 'tollgate-receipts-worker-'))
  const scriptPath = join(outdir, 'worker.js')
  await build({
    entryPoints: [join(import.meta.dirname, 'verifierWorker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@tollgate/source', 'workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    outfile: scriptPath,
    logLevel: 'silent',
  })
  mf = new Miniflare({
    modules: true,
    scriptPath,
    modulesRoot: outdir,
    compatibilityDate: '2025-09-01',
    cf: false,
    bindings: { JWKS_URL: `${stack.facilitator.url}/.well-known/jwks.json` },
  })
  workerUrl = (await mf.ready).toString()
})

afterAll(async () => {
  try {
    await mf?.dispose()
  } finally {
    await stack?.stop()
    if (outdir) await rm(outdir, { recursive: true, force: true })
  }
})

const inWorker = async (body: unknown) =>
  (await (await fetch(workerUrl, { method: 'POST', body: JSON.stringify(body) })).json()) as {
    ok: boolean
    code?: string
    claims?: Record<string, unknown>
    runtime: string
  }

test('default: a demo receipt verifies in workerd, against the fetched JWKS and offline', async () => {
  const url = `${stack.demo.url}/weather?city=Paris`
  const response = await fetch(url, { headers: await signPayment(stack.chain.accounts.payers[5], url) })
  expect(response.status).toBe(200)
  await response.arrayBuffer()
  const settle = decodeHeader(settleResponseSchema, response.headers.get('payment-response'))
  const receipt = receiptOf(settle)?.signature

  const fetched = await inWorker({ receipt, resourceUrl: url })
  expect(fetched.runtime).toBe('Cloudflare-Workers')
  expect(fetched).toMatchObject({
    ok: true,
    claims: { resourceUrl: url, transaction: settle.transaction, amount: '1000' },
  })

  const jwks = await (await fetch(`${stack.facilitator.url}/.well-known/jwks.json`)).json()
  expect(await inWorker({ receipt, resourceUrl: url, jwks })).toMatchObject({ ok: true })

  const [header, payload, signature] = (receipt as string).split('.')
  const claims = JSON.parse(atob((payload as string).replace(/-/g, '+').replace(/_/g, '/')))
  const forged = btoa(JSON.stringify({ ...claims, payTo: claims.payer }))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
  const tampered = `${header}.${forged.replace(/=+$/, '')}.${signature}`
  expect(await inWorker({ receipt: tampered, jwks })).toMatchObject({ ok: false, code: 'receipt_signature_invalid' })
  expect(await inWorker({ receipt, resourceUrl: `${url}&x=1` })).toMatchObject({
    ok: false,
    code: 'receipt_resource_mismatch',
  })
})
