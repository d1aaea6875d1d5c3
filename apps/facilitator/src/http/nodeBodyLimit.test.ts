import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppEnv } from './app.ts'
import { nodeBodyLimit } from './nodeBodyLimit.ts'

const app = new Hono<AppEnv>()
app.post(
  '/echo',
  nodeBodyLimit({ maxSize: 1024, onError: (c) => c.json({ error: 'payload_too_large' }, 400) }),
  async (c) => c.json({ fromStream: c.var.body !== undefined, length: (c.var.body ?? (await c.req.text())).length }),
)
let server: ReturnType<typeof serve>
let port: number

beforeAll(async () => {
  server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 })
  await new Promise((resolve) => server.once('listening', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** POSTs `chunks` without a Content-Length (chunked), or with one when `declared` is given. */
function post(chunks: readonly string[], declared?: number): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const headers = declared === undefined ? {} : { 'content-length': String(declared) }
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (part: string) => {
        text += part
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }))
    })
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

describe('nodeBodyLimit', () => {
  test('behavior: under @hono/node-server the body is read from the Node stream, as text', async () => {
    expect(await post(['{"a":', '1}'])).toEqual({ status: 200, json: { fromStream: true, length: 7 } })
  })

  test('behavior: a declared Content-Length past the cap is refused without reading', async () => {
    expect(await post(['x'.repeat(2_000)], 2_000)).toEqual({ status: 400, json: { error: 'payload_too_large' } })
  })

  test('behavior: a chunked body streamed past the cap is refused', async () => {
    expect(await post(Array.from({ length: 8 }, () => 'x'.repeat(200)))).toEqual({
      status: 400,
      json: { error: 'payload_too_large' },
    })
  })

  test('behavior: outside node-server (app.request) it is hono/body-limit', async () => {
    const small = await app.request('/echo', { method: 'POST', body: '{}' })
    expect(await small.json()).toEqual({ fromStream: false, length: 2 })
    const large = await app.request('/echo', { method: 'POST', body: 'x'.repeat(2_000) })
    expect([large.status, await large.json()]).toEqual([400, { error: 'payload_too_large' }])
  })
})
