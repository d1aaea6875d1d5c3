/**
 * Issue 21 item 4, in workerd: the body cap of bodyLimit.test.ts on Cloudflare Workers. bodyLimitApp.ts is bundled
 * as a Worker (bodyLimitWorker.ts, no `nodejs_compat`) and served by Miniflare 4 on loopback; the middleware's
 * bounded reader is the same Web-streams code as on Node. The workerd process's resident memory is read from
 * /proc where there is one (Linux).
 *
 * @see reference/workers.md §1 (esbuild and Miniflare options that work on Node 20)
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { upload } from './upload.ts'
import { type RunningWorker, startWorker } from './worker.ts'

const MiB = 1024 * 1024
const json = { 'content-type': 'application/json' }
const payer = privateKeyToAccount(devPrivateKeys[3])
const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))

let worker: RunningWorker

beforeAll(async () => {
  worker = await startWorker(join(import.meta.dirname, 'bodyLimitWorker.ts'), {})
})

afterAll(async () => {
  await worker?.stop()
})

/** The resident memory of this process's workerd child, in bytes, or `undefined` without /proc. */
function workerdRss(): (() => number | undefined) | undefined {
  let pid: string | undefined
  try {
    pid = readdirSync('/proc').find((entry) => {
      if (!/^\d+$/.test(entry)) return false
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8').match(/^\d+ \((.*)\) \S (\d+)/)
        return stat?.[1] === 'workerd' && Number(stat[2]) === process.pid
      } catch {
        return false
      }
    })
  } catch {
    return undefined
  }
  if (pid === undefined) return undefined
  return () => {
    const kib = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  }
}

describe('body cap in a Worker (Miniflare)', () => {
  test('default: an unpaid POST declaring 256 MiB is answered 413 payload_too_large from the header, at once', async () => {
    const res = await upload(`${worker.url}/summarize`, {
      headers: { ...json, 'content-length': String(256 * MiB) },
      bytes: 0,
      timeoutMs: 5_000,
    })
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body)).toEqual({
      error: 'payload_too_large',
      message: expect.stringContaining('1048576 bytes'),
    })
    expect(res.ms).toBeLessThan(1_000)
  })

  test('behavior: a chunked body streamed past the cap is answered 413 after about the cap; workerd stays flat', async () => {
    const rss = workerdRss()
    const before = rss?.()
    let peak = before ?? 0
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss?.() ?? 0)
    }, 2)
    const res = await upload(`${worker.url}/summarize`, {
      headers: json,
      bytes: 256 * MiB,
      prefix: '{"text":"',
      timeoutMs: 20_000,
      // workerd answers 413 and closes with the rest unread: the reset can drop the answer before it is read.
      retryResets: 2,
    }).finally(() => clearInterval(sampler))
    expect(res.status).toBe(413)
    expect(JSON.parse(res.body).error).toBe('payload_too_large')
    // The Worker stopped pulling past the cap: the cap plus the socket buffers were sent, not 256 MiB.
    expect(res.sent).toBeLessThan(16 * MiB)
    if (before !== undefined) expect((Math.max(peak, rss?.() ?? 0) - before) / MiB).toBeLessThan(16)
  })

  test('behavior: the route override (input.maxBodyBytes: 64) caps below the default', async () => {
    const big = await fetch(`${worker.url}/small`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: 'x'.repeat(100) }),
    })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: 'payload_too_large' })
  })

  test('behavior: a body under the cap is paid for and reaches the handler (c.req.json(), c.req.raw, parseBody)', async () => {
    const text = 'lorem ipsum '.repeat(60_000) // 720 000 bytes
    const res = await pay(`${worker.url}/summarize`, { method: 'POST', headers: json, body: JSON.stringify({ text }) })
    expect(res.status).toBe(200)
    expect(res.headers.get('payment-response')).toBeTruthy()
    expect(await res.json()).toEqual({ length: text.length, words: 120_000, bytes: text.length + 11 })

    const raw = await pay(`${worker.url}/raw`, { method: 'POST', headers: json, body: '{"text":"héllo"}' })
    expect(await raw.json()).toEqual({ raw: 'héllo', viaHono: 'héllo', bodyUsed: true })

    const form = new FormData()
    form.set('name', 'Ada')
    const parsed = await pay(`${worker.url}/form`, { method: 'POST', body: form })
    expect(await parsed.json()).toEqual({ name: 'Ada' })
  })
})
