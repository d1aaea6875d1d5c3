import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { BodyLimit } from './app.ts'

/** Reads Node's request stream directly (no web-stream `Request`), stopping past `max` bytes. */
function readIncoming(incoming: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    const onData = (chunk: Uint8Array) => {
      size += chunk.length
      if (size > max) {
        incoming.off('data', onData)
        incoming.resume()
        resolve(undefined)
        return
      }
      chunks.push(chunk)
    }
    incoming.on('data', onData)
    incoming.once('end', () => resolve(size > max ? undefined : new TextDecoder().decode(concat(chunks, size))))
    incoming.once('error', reject)
  })
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/**
 * `hono/body-limit` for `@hono/node-server`: the body is read from Node's request stream
 * (`c.env.incoming`) and kept as text (`c.var.body`), where building the web `Request` and its
 * streams costs more than the whole verification (docs/benchmarks.md, "Verify: hand-written hot
 * paths", the `body` variant). Outside `@hono/node-server` (`app.request()`, other runtimes) it is
 * `hono/body-limit` itself.
 *
 * @example
 * import { createApp } from './app.ts'
 * const app = createApp(facilitator, { bodyLimit: nodeBodyLimit })
 */
export const nodeBodyLimit: BodyLimit = (options) => {
  const web = bodyLimit(options)
  return async function nodeBodyLimit(c: Context, next) {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
    if (!incoming || typeof incoming.on !== 'function' || incoming.readableEnded) return web(c, next)
    const declared = Number(c.req.header('content-length') ?? Number.NaN)
    const text = declared > options.maxSize ? undefined : await readIncoming(incoming, options.maxSize)
    if (text === undefined) return options.onError(c)
    c.set('body', text)
    await next()
  } satisfies MiddlewareHandler
}
