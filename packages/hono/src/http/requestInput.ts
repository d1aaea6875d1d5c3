import type { Context, Env } from 'hono'
import { parseBody } from 'hono/utils/body'
import { mergePath } from 'hono/utils/url'
import { bazaarExtension, type CompiledDiscovery, type DescribedRequest } from '../discovery/discovery.ts'
import { type CompiledSchema, readParams, type SchemaIssue } from '../discovery/schema.ts'
import { pathParams, routeTemplate } from '../routes/pathPattern.ts'
import type { CompiledRoute } from '../routes/routeOptions.ts'
import { registeredBase } from '../routes/routes.ts'
import { defaultMaxBodyBytes, readBoundedBody } from './boundedBody.ts'

/** Where a problem is: the query string, the path, or the body. */
export type InputIssue = SchemaIssue & { in: 'query' | 'path' | 'body' }

/** The 400 body of a request that does not match its route's declared input. */
export type InvalidInput = { error: 'invalid_request'; message: string; issues: InputIssue[] }

/** The 413 body of a request whose body is larger than its route reads before payment. */
export type PayloadTooLarge = { error: 'payload_too_large'; message: string }

/** Why a request's input is refused before any quote: the status and the JSON body to answer. */
export type InputRefusal = { status: 400; body: InvalidInput } | { status: 413; body: PayloadTooLarge }

/** The key's pattern under the base path the middleware runs at (`/api` + `/forecast/:city`). */
function fullPattern(route: { path: string }, c: Context | undefined): string {
  const base = c ? registeredBase(c) : '/'
  return base === '/' ? route.path : mergePath(base, route.path)
}

/**
 * The route template and this request's path parameters (read as their declared types). A route
 * with a fixed `resource` has one quote for every request, so it carries no parameters.
 */
export function describeRequest<E extends Env>(route: CompiledRoute<E>, c?: Context<E>): DescribedRequest {
  const pattern = fullPattern(route, c as Context | undefined)
  const template = routeTemplate(pattern)
  if (template === undefined) return {}
  if (!c || route.resource !== undefined) return { routeTemplate: template }
  const raw = pathParams(pattern, c.req.path)
  const json = route.discovery?.params?.json ?? {}
  const values = readParams(json, Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, [value]])))
  return { routeTemplate: template, pathParams: values }
}

/** The extensions of a route's 402: `bazaar` for a described, discoverable route. */
export function quoteExtensions<E extends Env>(
  route: CompiledRoute<E>,
  c?: Context<E>,
): Record<string, unknown> | undefined {
  const discovery = route.discovery
  if (!discovery?.discoverable) return undefined
  return { bazaar: bazaarExtension(discovery, route.mimeType, describeRequest(route, c)) }
}

async function checkPart(schema: CompiledSchema, value: unknown, where: InputIssue['in'], issues: InputIssue[]) {
  const result = await schema.check(value)
  if (!result.ok) for (const issue of result.issues) issues.push({ in: where, ...issue })
}

type BodyValue = { ok: true; value: unknown } | { ok: false; code: 'invalid_request' | 'payload_too_large' }

/** The body as its declared type, from bytes already read (Hono's own parsers, so the handler sees the same). */
async function parseBytes(bytes: Uint8Array<ArrayBuffer>, c: Context, discovery: CompiledDiscovery): Promise<unknown> {
  if (discovery.bodyType === 'json') return JSON.parse(new TextDecoder().decode(bytes))
  if (discovery.bodyType === 'text') return new TextDecoder().decode(bytes)
  const type = c.req.header('content-type')
  return parseBody(
    new Request(c.req.url, { method: 'POST', body: bytes, ...(type ? { headers: { 'content-type': type } } : {}) }),
  )
}

/**
 * The same request around `body` (headers, method, URL, signal; on Workers `cf` too), as Hono's `bodyLimit` makes
 * it. A request object the runtime's constructor does not take as a `Request` (`@hono/node-server`'s lazy request
 * when its global override is off) is rebuilt from its parts.
 */
function withBody(raw: Request, body: Uint8Array<ArrayBuffer>): Request {
  try {
    return new Request(raw, { body })
  } catch {
    return new Request(raw.url, { method: raw.method, headers: raw.headers, body, signal: raw.signal })
  }
}

/** A body some earlier middleware already read through Hono's cache (it is in memory already), as its type. */
async function cachedBody(c: Context, discovery: CompiledDiscovery): Promise<unknown> {
  if (discovery.bodyType === 'json') return c.req.json()
  if (discovery.bodyType === 'text') return c.req.text()
  return c.req.parseBody()
}

/**
 * Reads the body to check it, at most `maxBytes` of it (boundedBody.ts), before any payment. The bytes read are
 * put back: `c.req.raw` becomes the same request around them, so the handler reads its body unread, with
 * `c.req.json()`, `c.req.raw` or anything else.
 */
async function readBody(c: Context, discovery: CompiledDiscovery, maxBytes: number): Promise<BodyValue> {
  if (c.req.raw.bodyUsed) {
    try {
      return { ok: true, value: await cachedBody(c, discovery) }
    } catch {
      return { ok: false, code: 'invalid_request' }
    }
  }
  const hasBody = c.req.raw.body !== null
  const read = await readBoundedBody(c.req.raw, maxBytes)
  if (!read.ok) return read
  if (hasBody) c.req.raw = withBody(c.req.raw, read.bytes)
  try {
    return { ok: true, value: await parseBytes(read.bytes, c, discovery) }
  } catch {
    return { ok: false, code: 'invalid_request' }
  }
}

/** Every problem of a request's declared input; `body` is the body as read (`undefined` when none is declared). */
async function listIssues<E extends Env>(
  route: CompiledRoute<E>,
  c: Context<E>,
  discovery: CompiledDiscovery,
  body: BodyValue | undefined,
): Promise<InputIssue[]> {
  const issues: InputIssue[] = []
  if (discovery.query) {
    await checkPart(discovery.query, readParams(discovery.query.json, c.req.queries()), 'query', issues)
  }
  if (discovery.params) {
    const raw = pathParams(fullPattern(route, c as Context | undefined), c.req.path)
    const values = readParams(discovery.params.json, Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, [v]])))
    await checkPart(discovery.params, values, 'path', issues)
  }
  if (discovery.body && body) {
    if (!body.ok) issues.push({ in: 'body', path: '', message: `The body is not valid ${discovery.bodyType}.` })
    else await checkPart(discovery.body, body.value, 'body', issues)
  }
  return issues
}

/**
 * Checks a request against its route's declared input (query, path parameters, body), before any
 * quote: `undefined` when it matches (or nothing is declared), else the refusal: 400 listing every
 * problem, or 413 for a body past the cap.
 *
 * Only a route that declares `input.body` has its body read here, and never more than the cap (the
 * route's `input.maxBodyBytes`, else `maxBodyBytes`, default 1 MiB): a larger `Content-Length` is
 * refused unread, a longer stream is cancelled past the cap. Other routes' bodies are not touched:
 * they reach the handler as they came. The handler reads the body as if nobody had (see readBody).
 */
export async function checkInput<E extends Env>(
  route: CompiledRoute<E>,
  c: Context<E>,
  maxBodyBytes: number = defaultMaxBodyBytes,
): Promise<InputRefusal | undefined> {
  const discovery = route.discovery
  if (!discovery) return undefined
  let body: BodyValue | undefined
  if (discovery.body) {
    const cap = discovery.maxBodyBytes ?? maxBodyBytes
    body = await readBody(c as Context, discovery, cap)
    if (!body.ok && body.code === 'payload_too_large') {
      const message = `The body is larger than ${cap} bytes, the most ${route.key} reads before payment; nothing was charged.`
      return { status: 413, body: { error: 'payload_too_large', message } }
    }
  }
  const issues = await listIssues(route, c, discovery, body)
  if (issues.length === 0) return undefined
  const named = [...new Set(issues.map((issue) => (issue.path ? `${issue.in} ${issue.path}` : issue.in)))]
  return {
    status: 400,
    body: {
      error: 'invalid_request',
      message: `The request does not match the input of ${route.key} (${named.join(', ')}); nothing was charged.`,
      issues,
    },
  }
}
