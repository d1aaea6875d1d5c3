/** The most a paid route's body may hold when the middleware reads it before payment: 1 MiB. */
export const defaultMaxBodyBytes: number = 1_048_576

/** A body read whole, at most the cap; or why it was not. */
export type BoundedBody =
  | { ok: true; bytes: Uint8Array<ArrayBuffer> }
  /** Larger than the cap: declared so (`Content-Length`, nothing read) or found so while reading. */
  | { ok: false; code: 'payload_too_large' }
  /** The stream failed (the client went away mid-body) or did not carry bytes. */
  | { ok: false; code: 'invalid_request' }

/** `Content-Length` as a number when it is one plain decimal integer; else `undefined` (absent, a list, garbage). */
function declaredLength(headers: Headers): number | undefined {
  const value = headers.get('content-length')
  return value !== null && /^\d{1,20}$/.test(value) ? Number(value) : undefined
}

/** The chunks in one new buffer (a copy even of one chunk: a runtime's chunk may be a view of a larger buffer). */
function concat(chunks: readonly Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/**
 * Reads a request's body whole, but never more than `maxBytes` of it: a declared `Content-Length` past the cap is
 * refused before anything is read; otherwise the stream is read chunk by chunk and, the moment the count passes
 * the cap, cancelled (the runtime stops pulling the upload and drops the rest) and refused. Memory held is at most
 * `maxBytes` plus one chunk while reading, then one copy of the whole. Web streams only: the same on Node and
 * Workers. The request's body is consumed.
 *
 * @example
 * import { readBoundedBody } from './boundedBody.ts'
 * const body = await readBoundedBody(c.req.raw, 1_048_576)
 * if (!body.ok) return c.json({ error: body.code }, body.code === 'payload_too_large' ? 413 : 400)
 */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<BoundedBody> {
  const declared = declaredLength(request.headers)
  if (declared !== undefined && declared > maxBytes) return { ok: false, code: 'payload_too_large' }
  const stream = request.body
  if (stream === null) return { ok: true, bytes: new Uint8Array(0) }
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (!ArrayBuffer.isView(value)) {
        reader.cancel().catch(() => {})
        return { ok: false, code: 'invalid_request' }
      }
      size += value.byteLength
      if (size > maxBytes) {
        // Not awaited: a runtime may settle the cancel only once the peer is gone; the answer must not wait.
        reader.cancel().catch(() => {})
        return { ok: false, code: 'payload_too_large' }
      }
      chunks.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength))
    }
  } catch {
    return { ok: false, code: 'invalid_request' }
  } finally {
    reader.releaseLock()
  }
  return { ok: true, bytes: concat(chunks, size) }
}
