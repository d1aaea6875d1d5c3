import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { httpFacilitator } from '@tollgate/hono'
import { createDemoApp } from './app.ts'
import type { DemoConfig } from './config.ts'

/** A running demo API. */
export type RunningDemo = {
  /** `http://<host>:<port>` */
  url: string
  port: number
  /** Stops listening and closes open connections. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Starts the demo API on Node (`@hono/node-server`). `port: 0` picks a free port.
 *
 * @example
 * import { startDemo } from './server.ts'
 * const demo = await startDemo({ host: '127.0.0.1', port: 0, facilitatorUrl: 'http://127.0.0.1:4020', payTo, network: 'eip155:8453' })
 * await demo.stop()
 */
export async function startDemo(config: DemoConfig): Promise<RunningDemo> {
  // The origin buyers reach: configured, else this server's own address once it listens.
  let origin = config.publicUrl
  const app = createDemoApp({
    payTo: config.payTo,
    network: config.network,
    delivery: config.delivery,
    origin: () => origin,
    facilitator: httpFacilitator({
      url: config.facilitatorUrl,
      ...(config.facilitatorApiKey ? { apiKey: config.facilitatorApiKey } : {}),
    }),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(s))
    s.once('error', reject)
  })
  const { port } = server.address() as AddressInfo
  origin ??= `http://${config.host}:${port}`
  let stopped: Promise<void> | undefined
  return {
    url: `http://${config.host}:${port}`,
    port,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      })
      return stopped
    },
  }
}
