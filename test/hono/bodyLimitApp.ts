/**
 * A seller whose paid routes take bodies, for the body cap suites on Node (bodyLimit.test.ts) and in workerd
 * (bodyLimit.worker.test.ts, through bodyLimitWorker.ts). Web APIs only: it is bundled into a Worker as it is.
 *
 * | route | body the middleware reads before payment |
 * | --- | --- |
 * | `POST /summarize` | JSON `{ text }`, capped at `maxBodyBytes` (default 1 MiB) |
 * | `POST /raw` | the same, its handler reads `c.req.raw` first |
 * | `POST /form` | form-data `{ name }` |
 * | `POST /small` | JSON, capped at 64 bytes by the route (`input.maxBodyBytes`) |
 * | `POST /upload` | none: no declared body, the middleware never reads it |
 */
import { type FacilitatorClient, paymentRequired } from '@tollgate/hono'
import { Hono } from 'hono'

/** Dev account #1 of the local chain. */
const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const accepts = { network: 'eip155:8453', price: '$0.001', payTo } as const
const text = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } as const

/** A facilitator that accepts every payment and settles it at once (no chain): the handler's side is under test. */
export const acceptingFacilitator: FacilitatorClient = {
  async verify(call) {
    const payer = (call.paymentPayload.payload as { authorization?: { from?: string } }).authorization?.from ?? ''
    return { ok: true, payer, response: { isValid: true, payer } }
  },
  async settle() {
    return { ok: true, response: { success: true, transaction: `0x${'12'.repeat(32)}`, network: 'eip155:8453' } }
  },
}

export function bodyLimitApp(facilitator: FacilitatorClient = acceptingFacilitator): Hono {
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator,
      routes: {
        'POST /summarize': { accepts, input: { body: text } },
        'POST /raw': { accepts, input: { body: text } },
        'POST /form': {
          accepts,
          input: {
            body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
            bodyType: 'form-data',
          },
        },
        'POST /small': { accepts, input: { body: text, maxBodyBytes: 64 } },
        'POST /upload': { accepts },
      },
    }),
  )
  app.post('/summarize', async (c) => {
    const { text } = await c.req.json<{ text: string }>()
    // Read again through Hono's cache: the handler may read its body more than once.
    const again = await c.req.text()
    return c.json({ length: text.length, words: text.split(/\s+/).filter(Boolean).length, bytes: again.length })
  })
  app.post('/raw', async (c) => {
    // The raw request is unread: the middleware's own read did not consume it.
    const raw = (await c.req.raw.clone().json()) as { text: string }
    const viaHono = await c.req.json<{ text: string }>()
    return c.json({ raw: raw.text, viaHono: viaHono.text, bodyUsed: c.req.raw.bodyUsed })
  })
  app.post('/form', async (c) => c.json({ name: (await c.req.parseBody()).name }))
  app.post('/small', async (c) => c.json(await c.req.json()))
  app.post('/upload', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }))
  return app
}
