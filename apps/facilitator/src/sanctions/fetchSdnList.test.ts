import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type ListServer, startListServer } from '../../../../test/screening/listServer.ts'
import { fetchSdnList } from './fetchSdnList.ts'

const dir = mkdtempSync(join(tmpdir(), 'tollgate-fetch-'))
let server: ListServer
let file = 0
beforeAll(async () => {
  server = await startListServer()
})
afterAll(async () => {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

const options = { timeoutMs: 5_000, maxBytes: 1_000_000, minBytes: 100, redirectHosts: ['lists.example'] }
const get = (path: string, more: Partial<typeof options> = {}) => {
  const target = join(dir, `list-${++file}.xml`)
  return { target, result: fetchSdnList({ url: `${server.origin}${path}`, path: target, ...options, ...more }) }
}
const document = `<?xml version="1.0"?><Sanctions>${'<x/>'.repeat(100)}</Sanctions>`

test('default: the body is streamed to the file, hashed and counted; the URL shown has no query', async () => {
  server.answer('/SDN_ADVANCED.XML', { body: document })
  const { target, result } = get('/SDN_ADVANCED.XML?signature=secret')
  expect(await result).toEqual({
    ok: true,
    path: target,
    sha256: createHash('sha256').update(document).digest('hex'),
    bytes: document.length,
    url: `${server.origin}/SDN_ADVANCED.XML`,
  })
  expect(readFileSync(target, 'utf8')).toBe(document)
})

test('behavior: a server that never answers is cut off by the timeout, and the file removed', async () => {
  server.answer('/hang', { hang: true })
  const started = Date.now()
  const { target, result } = get('/hang', { timeoutMs: 500 })
  expect(await result).toMatchObject({ ok: false, code: 'timeout' })
  expect(Date.now() - started).toBeLessThan(3_000)
  expect(existsSync(target)).toBe(false)
})

test('behavior: a 1 GiB body is cut off at the cap while streaming, without holding it', async () => {
  server.answer('/huge', { huge: true })
  const before = process.memoryUsage().rss
  const started = Date.now()
  const { target, result } = get('/huge', { maxBytes: 20_000_000 })
  expect(await result).toMatchObject({ ok: false, code: 'too_large', reason: expect.stringMatching(/cut off/) })
  const grown = process.memoryUsage().rss - before
  console.log(
    `1 GiB body cut off after ${server.hugeBytesWritten()} bytes sent, in ${Date.now() - started} ms; RSS grew ${Math.round(grown / 2 ** 20)} MiB`,
  )
  expect(server.hugeBytesWritten()).toBeLessThan(200_000_000)
  expect(grown).toBeLessThan(150 * 2 ** 20)
  expect(existsSync(target)).toBe(false)
  // A declared length past the cap is refused before the body is read.
  server.answer('/declared', { huge: true, declare: true })
  expect(await get('/declared', { maxBytes: 20_000_000 }).result).toMatchObject({
    ok: false,
    code: 'too_large',
    reason: expect.stringMatching(/declares/),
  })
})

test('behavior: a body under the minimum is refused as truncated; an error status is refused', async () => {
  server.answer('/short', { body: '<Sanctions>' })
  expect(await get('/short').result).toMatchObject({ ok: false, code: 'too_small' })
  server.answer('/gone', { status: 503 })
  expect(await get('/gone').result).toMatchObject({
    ok: false,
    code: 'http_status',
    reason: expect.stringMatching(/503/),
  })
})

test('behavior: redirects are followed on the same host only; another host, a loop or no Location is refused', async () => {
  server.answer('/moved', { redirect: '/SDN_ADVANCED.XML', status: 301 })
  expect(await get('/moved').result).toMatchObject({ ok: true, url: `${server.origin}/SDN_ADVANCED.XML` })
  // localhost is another host than 127.0.0.1, however near.
  server.answer('/elsewhere', { redirect: `${server.origin.replace('127.0.0.1', 'localhost')}/SDN_ADVANCED.XML` })
  expect(await get('/elsewhere').result).toMatchObject({ ok: false, code: 'redirect_refused' })
  // A listed host only over https.
  server.answer('/listed', { redirect: 'http://lists.example/SDN_ADVANCED.XML' })
  expect(await get('/listed').result).toMatchObject({ ok: false, code: 'redirect_refused' })
  server.answer('/loop', { redirect: '/loop' })
  expect(await get('/loop').result).toMatchObject({ ok: false, code: 'redirect_refused', reason: /more than 5/ })
  expect(server.requests.get('/loop')).toBe(6)
})
