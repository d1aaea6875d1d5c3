import { describe, expect, test } from 'vitest'
import { defaultMaxBodyBytes, readBoundedBody } from './boundedBody.ts'

/** A request whose body is `chunks`, pulled one at a time; `pulled` and `cancelled` tell what the reader did. */
function streamed(chunks: readonly unknown[], headers: Record<string, string> = {}) {
  const seen = { pulled: 0, cancelled: false }
  const body = new ReadableStream<unknown>(
    {
      pull(controller) {
        if (seen.pulled === chunks.length) return controller.close()
        controller.enqueue(chunks[seen.pulled++])
      },
      cancel() {
        seen.cancelled = true
      },
    },
    // No read-ahead: a chunk is pulled only when the reader asks for it.
    { highWaterMark: 0 },
  )
  const request = new Request('http://seller.test/', {
    method: 'POST',
    headers,
    body: body as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit)
  return { request, seen }
}

const kib = (n: number) => new Uint8Array(n * 1024).fill(0x61)

describe('readBoundedBody', () => {
  test('default: a body under the cap is read whole, as one buffer', async () => {
    const { request, seen } = streamed([kib(1), kib(2), new TextEncoder().encode('end')])
    const body = await readBoundedBody(request, defaultMaxBodyBytes)
    expect(body.ok && body.bytes.byteLength).toBe(3 * 1024 + 3)
    expect(body.ok && new TextDecoder().decode(body.bytes.subarray(-3))).toBe('end')
    expect(seen.cancelled).toBe(false)
    expect(defaultMaxBodyBytes).toBe(1024 * 1024)
  })

  test('behavior: a declared Content-Length past the cap is refused without reading a byte', async () => {
    const { request, seen } = streamed([kib(1)], { 'content-length': String(256 * 1024 * 1024) })
    expect(await readBoundedBody(request, 1024)).toEqual({ ok: false, code: 'payload_too_large' })
    expect(seen.pulled).toBe(0)
    expect(request.bodyUsed).toBe(false)
  })

  test('behavior: a stream past the cap stops at the chunk that passes it, and is cancelled', async () => {
    const { request, seen } = streamed(Array.from({ length: 1000 }, () => kib(64)))
    expect(await readBoundedBody(request, 100 * 1024)).toEqual({ ok: false, code: 'payload_too_large' })
    // 64 KiB, then 128 KiB > 100 KiB: two chunks of a thousand were pulled.
    expect(seen.pulled).toBe(2)
    expect(seen.cancelled).toBe(true)
  })

  test('behavior: exactly the cap is accepted; one byte more is not', async () => {
    expect((await readBoundedBody(streamed([kib(1)]).request, 1024)).ok).toBe(true)
    expect(await readBoundedBody(streamed([kib(1), new Uint8Array(1)]).request, 1024)).toEqual({
      ok: false,
      code: 'payload_too_large',
    })
  })

  test('behavior: a Content-Length that lies low is no way around the cap', async () => {
    const { request } = streamed([kib(4)], { 'content-length': '10' })
    expect(await readBoundedBody(request, 1024)).toEqual({ ok: false, code: 'payload_too_large' })
  })

  test('behavior: no body reads as empty; a failing or non-byte stream is invalid_request', async () => {
    const empty = await readBoundedBody(new Request('http://seller.test/', { method: 'POST' }), 1024)
    expect(empty.ok && empty.bytes.byteLength).toBe(0)
    const failing = new Request('http://seller.test/', {
      method: 'POST',
      body: new ReadableStream({
        pull(controller) {
          controller.error(new Error('client went away'))
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(await readBoundedBody(failing, 1024)).toEqual({ ok: false, code: 'invalid_request' })
    expect(await readBoundedBody(streamed(['not bytes']).request, 1024)).toEqual({
      ok: false,
      code: 'invalid_request',
    })
  })
})
