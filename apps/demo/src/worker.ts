/**
 * The demo's Cloudflare Worker entry (wrangler.toml at the repository root points here). No
 * `nodejs_compat` needed: `@tollgate/hono` uses Web APIs only. Configuration comes from the
 * Worker's vars, read once per isolate: `TOLLGATE_FACILITATOR_URL`, `TOLLGATE_PAY_TO`,
 * `TOLLGATE_NETWORK`, `TOLLGATE_DEMO_PUBLIC_URL` (same names and defaults as the Node entry). The facilitator API key is the
 * secret `TOLLGATE_FACILITATOR_API_KEY` (`wrangler secret put`), read from `c.env` per request.
 */
import { httpFacilitator } from '@tollgate/hono'
import type { ExecutionContext, Hono } from 'hono'
import { createDemoApp } from './app.ts'
import { parseDemoConfig } from './config.ts'

/** The Worker's bindings (all optional vars). */
export type DemoBindings = {
  TOLLGATE_FACILITATOR_URL?: string
  TOLLGATE_PAY_TO?: string
  TOLLGATE_NETWORK?: string
  /** The origin buyers reach the Worker at (quotes, receipts and catalogue entries name routes under it). */
  TOLLGATE_DEMO_PUBLIC_URL?: string
  /** A secret: the facilitator API key. */
  TOLLGATE_FACILITATOR_API_KEY?: string
}

let app: Hono<{ Bindings: DemoBindings }> | undefined

export default {
  fetch(request: Request, env: DemoBindings, ctx: ExecutionContext): Response | Promise<Response> {
    if (!app) {
      const config = parseDemoConfig({ ...env })
      app = createDemoApp<{ Bindings: DemoBindings }>({
        payTo: config.payTo,
        network: config.network,
        delivery: config.delivery,
        ...(config.publicUrl ? { origin: config.publicUrl } : {}),
        facilitator: httpFacilitator({
          url: config.facilitatorUrl,
          apiKey: (c) => (c.env as DemoBindings).TOLLGATE_FACILITATOR_API_KEY,
        }),
      })
    }
    return app.fetch(request, env, ctx)
  },
}
