import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'

/** A listening `@hono/node-server` server. */
export type NodeServer = ReturnType<typeof serve>

/** Listens with `fetch` on `hostname:port` (0 picks a free port); rejects on a listen error (a taken port). */
export function listen(
  fetch: Parameters<typeof serve>[0]['fetch'],
  hostname: string,
  port: number,
): Promise<NodeServer> {
  return new Promise<NodeServer>((resolve, reject) => {
    const listening = serve({ fetch, hostname, port }, () => resolve(listening))
    listening.once('error', reject)
  })
}

/** Stops listening and closes the open connections. */
export function closeServer(server: NodeServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}

/** How many connections the server has open (0 when it cannot tell). */
export const openConnections = (server: NodeServer): Promise<number> =>
  new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)))

/** `http://<host>:<port>` with the port actually bound. */
export const urlOf = (hostname: string, server: NodeServer): { url: string; port: number } => {
  const { port } = server.address() as AddressInfo
  return { url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`, port }
}
