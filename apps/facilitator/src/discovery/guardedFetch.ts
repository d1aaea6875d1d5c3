/**
 * One bounded request for the doctor: only to the origins it is allowed, only with the methods it is
 * allowed (a body only with a method the operator allowed beyond GET and HEAD), redirects followed by hand (same rules, a bounded count), a deadline
 * over the whole exchange (headers and body) and a cap on the bytes read. Every way it can fail is a
 * value with a code, never a throw or a hang. Web APIs only: `fetch` and the name resolver are passed in.
 */
import { isPrivateHost, type Resolve } from './privateAddress.ts'

/** The fetch the doctor uses (global `fetch`, or `app.request` in tests). */
export type Fetch = (input: string, init?: RequestInit) => Response | Promise<Response>

/** What the operator allows: fixed per run. */
export type FetchPolicy = {
  /** Origins requests and redirects may go to (the target's, plus each `--allow-origin`). */
  origins: ReadonlySet<string>
  /** Methods that may be sent (GET and HEAD, plus each `--allow-method`). */
  methods: ReadonlySet<string>
  /** Whether non-public addresses may be contacted: the target is one, or `--allow-private`. */
  allowPrivate: boolean
  /** The deadline of one request, redirects and body included, in milliseconds. */
  timeoutMs: number
  /** The most body bytes read. */
  maxBytes: number
  /** The most redirects followed. */
  maxRedirects: number
}

export type GuardedFetchDeps = {
  fetch: Fetch
  /** Resolves host names, so a name that points at a non-public address counts as one. Default: none. */
  resolve?: Resolve | undefined
  policy: FetchPolicy
}

export type GuardedFetchParameters = {
  url: string
  method: string
  /** JSON sent with a method other than GET and HEAD (which never carry a body). Default: none. */
  json?: string | undefined
  /** `read` keeps the response body (up to the cap), `discard` cancels it unread. */
  response: 'read' | 'discard'
}

export type GuardedFetchCode =
  | 'off_origin'
  | 'method_not_checked'
  | 'redirect_refused'
  | 'private_address'
  | 'too_many_redirects'
  | 'timeout'
  | 'too_large'
  | 'fetch_failed'

export type GuardedFetchReturnType =
  | { ok: true; url: string; status: number; headers: Headers; body: Uint8Array }
  | { ok: false; code: GuardedFetchCode; url: string; message: string }

const redirectStatuses = new Set([301, 302, 303, 307, 308])
const noop = () => {}

class Expired extends Error {}

/**
 * Fetches `url` with `method` under the operator's `policy`. Redirects are followed only to allowed origins and
 * public addresses (unless private ones are allowed), at most `policy.maxRedirects` times.
 *
 * @example
 * import { guardedFetch } from './guardedFetch.ts'
 * const policy = { origins: new Set(['https://api.example.com']), methods: new Set(['GET', 'HEAD']),
 *   allowPrivate: false, timeoutMs: 10_000, maxBytes: 1 << 20, maxRedirects: 5 }
 * const res = await guardedFetch({ fetch, policy }, { url: 'https://api.example.com/.well-known/x402', method: 'GET', response: 'read' })
 * if (!res.ok) console.log(res.code) // 'timeout', 'too_large', 'redirect_refused', ...
 */
export async function guardedFetch(
  { fetch, resolve, policy }: GuardedFetchDeps,
  { url: start, method: wanted, json, response }: GuardedFetchParameters,
): Promise<GuardedFetchReturnType> {
  const fail = (code: GuardedFetchCode, url: string, message: string) => ({ ok: false, code, url, message }) as const
  // Another origin is reported before another method: the request would not be made on either count.
  if (URL.canParse(start) && !policy.origins.has(new URL(start).origin)) {
    return fail(
      'off_origin',
      start,
      `not fetched: ${new URL(start).origin} is another origin (allow it with --allow-origin)`,
    )
  }
  if (!policy.methods.has(wanted)) {
    return fail('method_not_checked', start, `not requested: doctor sends only ${[...policy.methods].join(', ')}`)
  }
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(new Expired())
    }, policy.timeoutMs)
  })
  expired.catch(noop)
  let url = new URL(start)
  let method = wanted
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  try {
    for (let hop = 0; ; hop++) {
      const refused = await Promise.race([refusal(url, hop === 0, policy, resolve), expired])
      if (refused) return fail(refused.code, url.href, refused.message)
      const res = await Promise.race([
        fetch(url.href, {
          method,
          redirect: 'manual',
          signal: controller.signal,
          ...(json !== undefined && method !== 'GET' && method !== 'HEAD'
            ? { headers: { accept: 'application/json', 'content-type': 'application/json' }, body: json }
            : { headers: { accept: 'application/json' } }),
        }),
        expired,
      ])
      const location = res.headers.get('location')
      if (redirectStatuses.has(res.status) && location !== null) {
        void res.body?.cancel().catch(noop)
        if (hop === policy.maxRedirects) {
          return fail(
            'too_many_redirects',
            url.href,
            `more than ${policy.maxRedirects} redirects: not followed further`,
          )
        }
        if (!URL.canParse(location, url)) return fail('fetch_failed', url.href, 'a redirect to an invalid URL')
        url = new URL(location, url)
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) method = 'GET'
        continue
      }
      const declared = Number(res.headers.get('content-length') ?? Number.NaN)
      if (response === 'discard' || !res.body) {
        void res.body?.cancel().catch(noop)
        return { ok: true, url: url.href, status: res.status, headers: res.headers, body: new Uint8Array() }
      }
      if (declared > policy.maxBytes) {
        void res.body.cancel().catch(noop)
        return fail('too_large', url.href, `the body is ${declared} bytes; doctor reads at most ${policy.maxBytes}`)
      }
      reader = res.body.getReader()
      const chunks: Uint8Array[] = []
      let size = 0
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), expired])
        if (done) break
        size += value.byteLength
        if (size > policy.maxBytes) {
          return fail('too_large', url.href, `the body is over ${policy.maxBytes} bytes: doctor stopped reading`)
        }
        chunks.push(value)
      }
      reader = undefined
      const bytes = new Uint8Array(size)
      let at = 0
      for (const chunk of chunks) {
        bytes.set(chunk, at)
        at += chunk.byteLength
      }
      return { ok: true, url: url.href, status: res.status, headers: res.headers, body: bytes }
    }
  } catch (error) {
    if (error instanceof Expired || controller.signal.aborted) {
      return fail('timeout', url.href, `no complete answer within ${policy.timeoutMs} ms`)
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    return fail('fetch_failed', url.href, `the request failed: ${String(error)}${cause}`)
  } finally {
    clearTimeout(timer)
    if (reader) {
      void reader.cancel().catch(noop)
      controller.abort()
    }
  }
}

/** Why `url` may not be requested (another origin, a non-public address), or `undefined`. */
async function refusal(
  url: URL,
  first: boolean,
  policy: FetchPolicy,
  resolve: Resolve | undefined,
): Promise<{ code: GuardedFetchCode; message: string } | undefined> {
  if (!policy.origins.has(url.origin)) {
    return first
      ? { code: 'off_origin', message: `not fetched: ${url.origin} is another origin (allow it with --allow-origin)` }
      : {
          code: 'redirect_refused',
          message: `a redirect to another origin, ${url.origin}, not followed (allow it with --allow-origin)`,
        }
  }
  if (!policy.allowPrivate && (await isPrivateHost({ resolve }, url))) {
    return {
      code: 'private_address',
      message: `not fetched: ${url.host} is a loopback, private or link-local address (allow it with --allow-private)`,
    }
  }
  return undefined
}
