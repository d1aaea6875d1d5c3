/**
 * Issue 21 item 4, on Node: a paid route whose body the middleware reads (declared `input.body`) reads at most
 * `maxBodyBytes` (default 1 MiB) of it before any payment. A larger declared `Content-Length` is answered 413
 * `payload_too_large` from the header alone; a chunked body is read through a counting reader that stops past the
 * cap and cancels the stream. Before: one unpaid 256 MiB POST grew the seller by 776 MiB and got a 400.
 * A body under the cap still reaches the paid handler, however it reads it.
 *
 * The seller is bodyLimitApp.ts on `@hono/node-server` (loopback, a free port), paid by the official v2 client
 * against a facilitator stand-in that accepts everything (the payment side is covered elsewhere).
 */
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { acceptingFacilitator, bodyLimitApp } from './bodyLimitApp.ts'
import { listen, type Seller } from './listen.ts'
import { sampleRss, upload } from './upload.ts'

const MiB = 1024 * 1024
const payer = privateKeyToAccount(devPrivateKeys[2])
const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))

let seller: Seller
let verified = 0

beforeAll(async () => {
  seller = await listen(
    bodyLimitApp({
      ...acceptingFacilitator,
      verify: (call, context) => {
        verified++
        return acceptingFacilitator.verify(call, context)
      },
    }),
  )
})

afterAll(async () => {
  await seller?.stop()
})

const json = { 'content-type': 'application/json' }

describe('body cap on Node (@hono/node-server)', () => {
  test('default: an unpaid POST declaring 256 MiB is answered 413 payload_too_large from the header, at once', async () => {
    const res = await upload(`${seller.url}/summarize`, {
      headers: { ...json, 'content-length': String(256 * MiB) },
      bytes: 0,
      timeoutMs: 5_000,
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body)).toEqual({
      error: 'payload_too_large',
      message: expect.stringContaining('1048576 bytes'),
    })
    // Answered from the header: nothing of the body was waited for.
    expect(res.ms).toBeLessThan(1_000)
  })

  test('behavior: a paid POST declaring 256 MiB is refused the same way, and the facilitator is never asked', async () => {
    const before = verified
    const res = await upload(`${seller.url}/summarize`, {
      headers: { ...json, 'content-length': String(256 * MiB), 'payment-signature': 'eyJ4NDAyVmVyc2lvbiI6Mn0=' },
      bytes: 64 * 1024,
      prefix: '{"text":"',
      timeoutMs: 5_000,
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toBe('payload_too_large')
    expect(verified).toBe(before)
  })

  test('behavior: a chunked body streamed past the cap is answered 413 after about the cap; memory stays flat', async () => {
    const rss = sampleRss()
    const before = process.memoryUsage().rss
    // No Content-Length: 256 MiB of a JSON string that never ends, sent as fast as the server takes it.
    const res = await upload(`${seller.url}/summarize`, { headers: json, bytes: 256 * MiB, prefix: '{"text":"' })
    const peak = rss.stop()
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toBe('payload_too_large')
    // The server stopped pulling past the cap: what was sent is the cap plus the socket buffers, not 256 MiB.
    expect(res.sent).toBeLessThan(16 * MiB)
    // The seller (this process: server and sender, whose chunk is reused) did not grow by what was sent
    // (measured: about 3 MiB; before the cap, 680 MiB and a 400 after all 256 MiB).
    expect((peak - before) / MiB).toBeLessThan(8)
  })

  test('behavior: the route override (input.maxBodyBytes: 64) caps below the default', async () => {
    const small = await fetch(`${seller.url}/small`, { method: 'POST', headers: json, body: '{"text":"ok"}' })
    expect(small.status).toBe(402)
    const big = await fetch(`${seller.url}/small`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: 'x'.repeat(100) }),
    })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: 'payload_too_large', message: expect.stringContaining('64 bytes') })
  })

  test('behavior: a route that declares no body is never read by the middleware: a declared 256 MiB gets the quote', async () => {
    const res = await upload(`${seller.url}/upload`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(256 * MiB) },
      bytes: 0,
      timeoutMs: 5_000,
    })
    expect(res.status).toBe(402)
  })
})

describe('a body under the cap still reaches the paid handler', () => {
  test('default: the official client pays for a JSON body; the handler reads it with c.req.json() and c.req.text()', async () => {
    const text = 'the quick brown fox '.repeat(40_000) // 800 000 bytes: under 1 MiB
    const res = await pay(`${seller.url}/summarize`, { method: 'POST', headers: json, body: JSON.stringify({ text }) })
    expect(res.status).toBe(200)
    expect(res.headers.get('payment-response')).toBeTruthy()
    expect(await res.json()).toEqual({ length: text.length, words: 160_000, bytes: text.length + 11 })
  })

  test('behavior: the raw request is unread for the handler (c.req.raw.clone().json()), then Hono reads it', async () => {
    const res = await pay(`${seller.url}/raw`, { method: 'POST', headers: json, body: '{"text":"héllo"}' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ raw: 'héllo', viaHono: 'héllo', bodyUsed: true })
  })

  test('behavior: a chunked body under the cap is read and checked like any other', async () => {
    const body = JSON.stringify({ text: 'y'.repeat(512 * 1024) })
    // A stream body: fetch sends it chunked, with no Content-Length.
    const res = await pay(`${seller.url}/summarize`, {
      method: 'POST',
      headers: json,
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(200)
    expect((await res.json()).length).toBe(512 * 1024)
    // Unpaid and chunked (no Content-Length): checked, then quoted.
    const unpaid = await upload(`${seller.url}/summarize`, { headers: json, bytes: body.length, prefix: body })
    expect(unpaid.status).toBe(402)
  })

  test('behavior: a form-data body is checked, then the handler parses it with c.req.parseBody()', async () => {
    const form = new FormData()
    form.set('name', 'Ada')
    const res = await pay(`${seller.url}/form`, { method: 'POST', body: form })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ name: 'Ada' })
    const missing = await fetch(`${seller.url}/form`, { method: 'POST', body: new FormData() })
    expect(missing.status).toBe(400)
  })

  test('behavior: a body that does not match its schema still gets 400 invalid_request, before any quote', async () => {
    const res = await fetch(`${seller.url}/summarize`, { method: 'POST', headers: json, body: '{"text":1}' })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_request', issues: [{ in: 'body', path: 'text' }] })
  })
})
