import { createServer } from 'node:net'
import { expect, test } from 'vitest'
import { startAnvil } from './anvil.ts'
import { freePort, isPortFree } from './freePort.ts'

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('default: starts on a free port with the requested chain id, stops by PID', async () => {
  const anvil = await startAnvil({ chainId: 84532, blockTime: 0.5 })
  expect(anvil.url).toBe(`http://127.0.0.1:${anvil.port}`)
  const response = await fetch(anvil.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
  })
  expect(await response.json()).toMatchObject({ result: '0x14a34' })
  expect(isAlive(anvil.pid)).toBe(true)
  await anvil.stop()
  expect(isAlive(anvil.pid)).toBe(false)
  expect(await isPortFree(anvil.port)).toBe(true)
  await anvil.stop() // idempotent
})

test('behavior: an explicit port that is taken fails with a clear message', async () => {
  const server = createServer()
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  try {
    await expect(startAnvil({ port })).rejects.toThrowError(`port ${port} on 127.0.0.1 is already in use`)
  } finally {
    server.close()
  }
})

test('behavior: fails fast with anvil’s own message when it exits during startup', async () => {
  const started = Date.now()
  await expect(startAnvil({ args: ['--no-such-flag'] })).rejects.toThrowError(/Cannot start anvil.*no-such-flag/s)
  expect(Date.now() - started).toBeLessThan(5_000)
})
