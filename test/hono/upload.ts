/**
 * A slow-loris-free upload for the body cap suites: a POST over `node:http` that streams `bytes` bytes (one reused
 * chunk, so the sender's own memory stays flat), respects backpressure, and stops sending the moment the answer
 * arrives. What it reports tells how much of the body the server pulled before answering.
 */
import { request } from 'node:http'

export type UploadResult = {
  status: number
  /** The answer's body, as text. */
  body: string
  /** Bytes of the body written to the socket when the answer arrived. */
  sent: number
  /** Milliseconds from the request to the answer's headers. */
  ms: number
}

export type UploadOptions = {
  headers?: Record<string, string>
  /**
   * Body bytes to send; with no `content-length` in `headers` the body is chunked. With a longer declared
   * `content-length`, these are sent and the request stays open (no more ever comes).
   */
  bytes: number
  /** Sent first (e.g. the start of a JSON document); the rest is `filler`. */
  prefix?: string
  /** Longest wait for the answer, in milliseconds. Default 10 000. */
  timeoutMs?: number
  /**
   * Times to upload again after a connection reset before any answer (default 0). A server that answers and closes
   * with the body unread resets the connection, and the kernel may drop its answer before the client reads it: the
   * server stopped the upload, but whether it answered is unknown, so a retry asks again.
   */
  retryResets?: number
}

const filler = new Uint8Array(64 * 1024).fill(0x61) // 'a'

const isReset = (error: unknown) =>
  error instanceof Error && ['ECONNRESET', 'EPIPE'].includes((error as NodeJS.ErrnoException).code ?? '')

/** POSTs a large body to `url` and resolves with the answer and how much was sent; rejects after `timeoutMs`. */
export async function upload(url: string, { retryResets = 0, ...options }: UploadOptions): Promise<UploadResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await uploadOnce(url, options)
    } catch (error) {
      if (attempt >= retryResets || !isReset(error)) throw error
    }
  }
}

function uploadOnce(url: string, { headers = {}, bytes, prefix = '', timeoutMs = 10_000 }: UploadOptions) {
  return new Promise<UploadResult>((resolve, reject) => {
    const started = performance.now()
    const req = request(url, { method: 'POST', headers })
    let sent = 0
    let answered = false
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no answer within ${timeoutMs} ms (${sent} bytes sent)`))
    }, timeoutMs)
    req.on('response', (res) => {
      answered = true
      const sentThen = sent
      const ms = performance.now() - started
      const chunks: Uint8Array[] = []
      res.on('data', (chunk: Uint8Array) => chunks.push(chunk))
      res.on('end', () => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent: sentThen, ms })
      })
      res.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
    // The server may close the connection once it has answered: only an error before the answer counts.
    req.on('error', (error) => {
      if (answered) return
      clearTimeout(timer)
      reject(error)
    })
    const pump = () => {
      while (!answered && sent < bytes) {
        const chunk = sent === 0 && prefix ? new TextEncoder().encode(prefix) : filler
        const part = bytes - sent < chunk.length ? chunk.subarray(0, bytes - sent) : chunk
        sent += part.length
        if (!req.write(part)) {
          req.once('drain', pump)
          return
        }
      }
      // A declared length longer than what is sent keeps the request open: the server must answer from the header.
      if (!answered && !req.writableEnded && !(declared > bytes)) req.end()
    }
    const declared = Number(headers['content-length'] ?? Number.NaN)
    req.flushHeaders()
    pump()
  })
}

/** Samples `process.memoryUsage().rss` every few milliseconds until stopped; `peak` is the highest seen. */
export function sampleRss() {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss)
  }, 2)
  return {
    stop() {
      clearInterval(timer)
      peak = Math.max(peak, process.memoryUsage().rss)
      return peak
    },
  }
}
