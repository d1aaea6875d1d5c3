import { createHash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'

/** Why a download of the list was refused. */
export type FetchSdnListFailure = {
  ok: false
  code: 'timeout' | 'too_large' | 'too_small' | 'http_status' | 'redirect_refused' | 'network'
  reason: string
}

export type FetchSdnListResult =
  | {
      ok: true
      /** The file the body was written to. */
      path: string
      /** SHA-256 of the body, hex. */
      sha256: string
      bytes: number
      /** Where the body came from, after redirects: origin and path only (a signed URL's query is never shown). */
      url: string
    }
  | FetchSdnListFailure

export type FetchSdnListOptions = {
  url: string
  /** Where the body is written (created; an existing file is an error). */
  path: string
  /** The whole download, redirects and body included. */
  timeoutMs: number
  /** A body past this many bytes (after decompression) is cut off while streaming. */
  maxBytes: number
  /** A complete body under this many bytes is refused as truncated. */
  minBytes: number
  /** Hosts a redirect may lead to besides the URL's own; only over https. */
  redirectHosts: readonly string[]
  /** Default 5. */
  maxRedirects?: number
  /** Default: the global `fetch`. */
  fetch?: typeof fetch
}

const redirects = new Set([301, 302, 303, 307, 308])

/** Origin and path of a URL: what logs, answers and the audit trail may show of it. */
export const shownUrl = (url: URL | string): string => {
  const parsed = new URL(url)
  return `${parsed.origin}${parsed.pathname}`
}

/**
 * Downloads OFAC's list to `path` as untrusted bytes: one timeout over the whole download, the body streamed to the
 * file and hashed as it comes, cut off past `maxBytes` (a declared `Content-Length` past it is refused before the
 * body is read; the count is of decoded bytes, so a compressed bomb is cut off too), and redirects followed by hand,
 * only to the URL's own host or to `redirectHosts` over https, never from https to http. Every failure is a value
 * with a code; the file is removed on failure.
 *
 * @example
 * const fetched = await fetchSdnList({ url, path: '/tmp/sdn.xml', timeoutMs: 300_000, maxBytes: 4e8, minBytes: 1e6, redirectHosts: [] })
 * if (fetched.ok) await convertSdnXml(fetched.path)
 */
export async function fetchSdnList({
  url,
  path,
  timeoutMs,
  maxBytes,
  minBytes,
  redirectHosts,
  maxRedirects = 5,
  fetch: fetchImpl = fetch,
}: FetchSdnListOptions): Promise<FetchSdnListResult> {
  const signal = AbortSignal.timeout(timeoutMs)
  const failed = (code: FetchSdnListFailure['code'], reason: string): FetchSdnListFailure => ({
    ok: false,
    code,
    reason,
  })
  const thrown = (error: unknown, what: string): FetchSdnListFailure =>
    signal.aborted
      ? failed('timeout', `no complete answer within ${timeoutMs} ms (${what})`)
      : failed('network', `${what}: ${error instanceof Error ? error.message : String(error)}`)
  const first = new URL(url)
  let current = first
  for (let hop = 0; ; hop++) {
    let response: Response
    try {
      response = await fetchImpl(current, {
        redirect: 'manual',
        signal,
        headers: { accept: 'application/xml, text/xml;q=0.9, */*;q=0.1' },
      })
    } catch (error) {
      return thrown(error, `requesting ${shownUrl(current)}`)
    }
    if (redirects.has(response.status)) {
      await response.body?.cancel().catch(() => undefined)
      const location = response.headers.get('location')
      if (!location) return failed('redirect_refused', `${response.status} without a Location`)
      if (hop >= maxRedirects) return failed('redirect_refused', `more than ${maxRedirects} redirects`)
      let next: URL
      try {
        next = new URL(location, current)
      } catch {
        return failed('redirect_refused', 'a redirect to an unreadable Location')
      }
      const sameHost = next.host === first.host && (next.protocol === current.protocol || next.protocol === 'https:')
      const listed = next.protocol === 'https:' && redirectHosts.includes(next.hostname.toLowerCase())
      if (!sameHost && !listed) {
        return failed(
          'redirect_refused',
          `a redirect to ${next.protocol}//${next.host}, which is not ${first.host} nor a TOLLGATE_SANCTIONS_REDIRECT_HOSTS host over https`,
        )
      }
      current = next
      continue
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined)
      return failed('http_status', `${shownUrl(current)} answered ${response.status}`)
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN)
    if (declared > maxBytes) {
      await response.body.cancel().catch(() => undefined)
      return failed('too_large', `the list declares ${declared} bytes, more than ${maxBytes}`)
    }
    return await saveBody(response.body, { path, maxBytes, minBytes, url: shownUrl(current), failed, thrown })
  }
}

/** Streams a body into a new file, hashing and counting as it comes; removes the file on any failure. */
async function saveBody(
  body: ReadableStream<Uint8Array>,
  {
    path,
    maxBytes,
    minBytes,
    url,
    failed,
    thrown,
  }: {
    path: string
    maxBytes: number
    minBytes: number
    url: string
    failed: (code: FetchSdnListFailure['code'], reason: string) => FetchSdnListFailure
    thrown: (error: unknown, what: string) => FetchSdnListFailure
  },
): Promise<FetchSdnListResult> {
  const hash = createHash('sha256')
  const file = await open(path, 'wx')
  const reader = body.getReader()
  let bytes = 0
  let outcome: FetchSdnListResult | undefined
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>
      try {
        chunk = await reader.read()
      } catch (error) {
        outcome = thrown(error, `reading the body after ${bytes} bytes`)
        break
      }
      if (chunk.done) break
      bytes += chunk.value.byteLength
      if (bytes > maxBytes) {
        outcome = failed('too_large', `the list passed ${maxBytes} bytes; cut off`)
        break
      }
      hash.update(chunk.value)
      await file.write(chunk.value)
    }
    if (!outcome && bytes < minBytes) {
      outcome = failed('too_small', `the list has ${bytes} bytes, fewer than ${minBytes} (truncated?)`)
    }
  } finally {
    if (outcome) await reader.cancel().catch(() => undefined)
    await file.close()
  }
  if (outcome) {
    await rm(path, { force: true })
    return outcome
  }
  return { ok: true, path, sha256: hash.digest('hex'), bytes, url }
}
