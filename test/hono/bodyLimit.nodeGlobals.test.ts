/**
 * The body cap under `@hono/node-server` with `overrideGlobalObjects: false`: the global `Request` is then Node's own,
 * which does not take the server's lazy request object as a `Request`. The bytes the middleware read must still reach
 * the handler (the request is rebuilt from its parts). Its own file: once any server in a process overrides the
 * globals they stay overridden.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { bodyLimitApp } from './bodyLimitApp.ts'

const json = { 'content-type': 'application/json' }
const pay = wrapFetchWithPayment(
  fetch,
  new x402Client().register('eip155:8453', new ExactEvmScheme(privateKeyToAccount(devPrivateKeys[4]))),
)
let server: ReturnType<typeof serve>
let url: string

beforeAll(async () => {
  server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: bodyLimitApp().fetch, hostname: '127.0.0.1', port: 0, overrideGlobalObjects: false }, () =>
      resolve(s),
    )
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve())
    if (server && 'closeAllConnections' in server) server.closeAllConnections()
  })
})

test('behavior: with overrideGlobalObjects: false the handler still reads the body the middleware checked', async () => {
  // Node's own Request (a base class), not @hono/node-server's subclass.
  expect(Object.getPrototypeOf(globalThis.Request)).toBe(Function.prototype)
  const res = await pay(`${url}/raw`, { method: 'POST', headers: json, body: '{"text":"héllo"}' })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ raw: 'héllo', viaHono: 'héllo', bodyUsed: true })
  const form = new FormData()
  form.set('name', 'Ada')
  expect(await (await pay(`${url}/form`, { method: 'POST', body: form })).json()).toEqual({ name: 'Ada' })
  const over = await fetch(`${url}/summarize`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) }),
  })
  expect(over.status).toBe(413)
})
