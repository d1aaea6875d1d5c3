/**
 * The receipt helper inside workerd (Miniflare 4, bundled with esbuild as wrangler would, no
 * `nodejs_compat`): a receipt from a paid request through the demo and the real facilitator on
 * anvil verifies there against the JWKS fetched over loopback and offline, and a tampered one is refused.
 */
import { join } from 'node:path'
import { decodeHeader, receiptOf, settleResponseSchema } from '@tollgate/protocol'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type RunningWorker, startWorker } from '../hono/worker.ts'
import { type ReceiptStack, signPayment, startReceiptStack } from './harness.ts'

let stack: ReceiptStack
let worker: RunningWorker

beforeAll(async () => {
  stack = await startReceiptStack()
  worker = await startWorker(join(import.meta.dirname, 'verifierWorker.ts'), {
    JWKS_URL: `${stack.facilitator.url}/.well-known/jwks.json`,
  })
})

afterAll(async () => {
  try {
    await worker?.stop()
  } finally {
    await stack?.stop()
  }
})

const inWorker = async (body: unknown) =>
  (await (await fetch(worker.url, { method: 'POST', body: JSON.stringify(body) })).json()) as {
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
