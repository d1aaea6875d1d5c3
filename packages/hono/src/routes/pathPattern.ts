/**
 * A Hono path pattern (`/forecast/:city`, `/files/*`) read for discovery: its parameter names, the bazaar
 * route template it stands for, its OpenAPI path, and a request path's parameter values. (What a valid
 * route template is, on the wire, is `@tollgate/protocol`'s `isValidRouteTemplate`.)
 */
import { TrieRouter } from 'hono/router/trie-router'

/** One segment of a Hono path pattern: literal text, a named parameter, or a wildcard. */
type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'wildcard'; name: string }

function segments(path: string): Segment[] {
  let wildcards = 0
  return path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      if (part === '*') return { kind: 'wildcard', name: `var${++wildcards}` }
      const param = /^:([^{?]+)/.exec(part)
      if (param) return { kind: 'param', name: param[1] as string }
      return { kind: 'literal', text: part }
    })
}

/** The names of a pattern's parameters (wildcards named `var1`, `var2`, ... as the official server names them). */
export function paramNames(path: string): string[] {
  return segments(path).flatMap((segment) => (segment.kind === 'literal' ? [] : [segment.name]))
}

/**
 * The bazaar `routeTemplate` of a Hono pattern (`/forecast/:city{[a-z]+}` -> `/forecast/:city`,
 * `/files/*` -> `/files/:var1`), or `undefined` for a path without parameters.
 *
 * @see specs/extensions/bazaar.md (Dynamic Routes and routeTemplate)
 */
export function routeTemplate(path: string): string | undefined {
  const parts = segments(path)
  if (parts.every((segment) => segment.kind === 'literal')) return undefined
  return `/${parts.map((segment) => (segment.kind === 'literal' ? segment.text : `:${segment.name}`)).join('/')}`
}

/** The OpenAPI path of a Hono pattern: `/forecast/:city` -> `/forecast/{city}`. */
export function openApiPath(path: string): string {
  const parts = segments(path)
  return `/${parts.map((segment) => (segment.kind === 'literal' ? segment.text : `{${segment.name}}`)).join('/')}`
}

/** One router per pattern (keys under the bases they run at: a handful per app). */
const routers = new Map<string, TrieRouter<number>>()

function decode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/**
 * The named parameters of `requestPath` under `pattern` (the key's pattern joined to the base path
 * the middleware runs under), decoded as `c.req.param()` decodes them; `{}` when it does not match.
 */
export function pathParams(pattern: string, requestPath: string): Record<string, string> {
  let router = routers.get(pattern)
  if (!router) {
    router = new TrieRouter<number>()
    router.add('GET', pattern, 0)
    if (routers.size >= 256) routers.delete(routers.keys().next().value as string)
    routers.set(pattern, router)
  }
  const [matches] = router.match('GET', requestPath) as unknown as [[number, Record<string, string>][]]
  const params = matches[0]?.[1] ?? {}
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, decode(value)]))
}
