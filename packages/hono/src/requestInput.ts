import type { Context, Env } from 'hono'
import { mergePath } from 'hono/utils/url'
import { bazaarExtension, type CompiledDiscovery, type DescribedRequest } from './discovery.ts'
import type { CompiledRoute } from './routeOptions.ts'
import { registeredBase } from './routes.ts'
import { pathParams, routeTemplate } from './routeTemplate.ts'
import { type CompiledSchema, readParams, type SchemaIssue } from './schema.ts'

/** Where a problem is: the query string, the path, or the body. */
export type InputIssue = SchemaIssue & { in: 'query' | 'path' | 'body' }

/** The 400 body of a request that does not match its route's declared input. */
export type InvalidInput = { error: 'invalid_request'; message: string; issues: InputIssue[] }

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

async function readBody(
  c: Context,
  discovery: CompiledDiscovery,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    if (discovery.bodyType === 'json') return { ok: true, value: await c.req.json() }
    if (discovery.bodyType === 'text') return { ok: true, value: await c.req.text() }
    return { ok: true, value: await c.req.parseBody() }
  } catch {
    return { ok: false }
  }
}

/**
 * Checks a request against its route's declared input (query, path parameters, body), before any
 * quote: `undefined` when it matches (or nothing is declared), else the 400 body listing every
 * problem. The body is read through Hono's cache, so the handler can read it again.
 */
export async function checkInput<E extends Env>(
  route: CompiledRoute<E>,
  c: Context<E>,
): Promise<InvalidInput | undefined> {
  const discovery = route.discovery
  if (!discovery) return undefined
  const issues: InputIssue[] = []
  if (discovery.query) {
    await checkPart(discovery.query, readParams(discovery.query.json, c.req.queries()), 'query', issues)
  }
  if (discovery.params) {
    const raw = pathParams(fullPattern(route, c as Context | undefined), c.req.path)
    const values = readParams(discovery.params.json, Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, [v]])))
    await checkPart(discovery.params, values, 'path', issues)
  }
  if (discovery.body) {
    const body = await readBody(c, discovery)
    if (!body.ok) issues.push({ in: 'body', path: '', message: `The body is not valid ${discovery.bodyType}.` })
    else await checkPart(discovery.body, body.value, 'body', issues)
  }
  if (issues.length === 0) return undefined
  const named = [...new Set(issues.map((issue) => (issue.path ? `${issue.in} ${issue.path}` : issue.in)))]
  return {
    error: 'invalid_request',
    message: `The request does not match the input of ${route.key} (${named.join(', ')}); nothing was charged.`,
    issues,
  }
}
