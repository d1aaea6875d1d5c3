/**
 * A local HTTP server on 127.0.0.1 standing in for OFAC's list download (never the internet): each path answers as
 * the test sets it, a document, a status, a redirect, a connection that never answers, or a body that never ends
 * (streamed, 1 MiB at a time, as fast as the client reads). Test-only.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How one path answers. */
export type ListAnswer =
  | { body: string | Buffer; headers?: Record<string, string> }
  | { status: number }
  | { redirect: string; status?: 301 | 302 | 303 | 307 | 308 }
  /** Accepts the request and never answers. */
  | { hang: true }
  /** Headers at once, then `bytes` of body (default 1 GiB), never all of it held anywhere. */
  | { huge: true; bytes?: number; declare?: boolean }

export type ListServer = {
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** Sets how `path` answers from the next request on. */
  answer(path: string, answer: ListAnswer): void
  /** Requests seen per path. */
  requests: Map<string, number>
  /** Bytes of huge bodies written so far. */
  hugeBytesWritten(): number
  stop(): Promise<void>
}

const mib = Buffer.alloc(1 << 20, 0x20)

export async function startListServer(): Promise<ListServer> {
  const answers = new Map<string, ListAnswer>()
  const requests = new Map<string, number>()
  let hugeWritten = 0
  const streamHuge = async (response: ServerResponse, bytes: number) => {
    let sent = 0
    let closed = false
    response.once('close', () => {
      closed = true
    })
    response.write('<?xml version="1.0" encoding="utf-8"?>\n<!--')
    while (!closed && sent < bytes) {
      const ok = response.write(mib)
      sent += mib.length
      hugeWritten += mib.length
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = () => {
            response.off('drain', done).off('close', done)
            resolve()
          }
          response.on('drain', done).on('close', done)
        })
      }
    }
    if (!closed) response.end('-->')
  }
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    requests.set(path, (requests.get(path) ?? 0) + 1)
    const answer = answers.get(path) ?? { status: 404 }
    if ('hang' in answer) return
    if ('huge' in answer) {
      const bytes = answer.bytes ?? 2 ** 30
      response.writeHead(200, {
        'content-type': 'application/xml',
        ...(answer.declare ? { 'content-length': String(bytes + 50) } : {}),
      })
      void streamHuge(response, bytes)
      return
    }
    if ('redirect' in answer) {
      response.writeHead(answer.status ?? 302, { location: answer.redirect })
      response.end()
      return
    }
    if ('status' in answer) {
      response.writeHead(answer.status)
      response.end()
      return
    }
    response.writeHead(200, { 'content-type': 'application/xml', ...answer.headers })
    response.end(answer.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    answer: (path, answer) => answers.set(path, answer),
    requests,
    hugeBytesWritten: () => hugeWritten,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
