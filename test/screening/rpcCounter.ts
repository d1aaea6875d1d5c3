/** A JSON-RPC proxy in front of anvil that counts requests by method (batches included). Test-only. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export type RpcCounter = {
  url: string
  counts: Map<string, number>
  reset(): void
  snapshot(): Record<string, number>
  stop(): Promise<void>
}

export async function startRpcCounter(target: string): Promise<RpcCounter> {
  const counts = new Map<string, number>()
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks).toString('utf8')
    try {
      const parsed = JSON.parse(body) as { method?: string } | { method?: string }[]
      for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
        const method = call.method ?? 'unknown'
        counts.set(method, (counts.get(method) ?? 0) + 1)
      }
    } catch {
      // not JSON: forwarded as it is
    }
    try {
      const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      response.writeHead(answer.status, { 'content-type': 'application/json' })
      response.end(await answer.text())
    } catch {
      response.writeHead(502)
      response.end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries(counts),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
