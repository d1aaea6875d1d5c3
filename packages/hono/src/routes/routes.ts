import type { Context, Env } from 'hono'
import { baseRoutePath } from 'hono/route'
import { METHOD_NAME_ALL, type Router } from 'hono/router'
import { LinearRouter } from 'hono/router/linear-router'
import { PatternRouter } from 'hono/router/pattern-router'
import { RegExpRouter } from 'hono/router/reg-exp-router'
import { TrieRouter } from 'hono/router/trie-router'
import { mergePath } from 'hono/utils/url'
import { fail, isPlainObject } from '../fail.ts'
import { type CompiledRoute, compileRoute, type RouteOptions, type RoutesOptions } from './routeOptions.ts'

export type { CompiledRoute, RoutesOptions } from './routeOptions.ts'

const methodPattern = /^[A-Z]+$/

/** The compiled route table: finds the protected route of a request, or `undefined`. */
export type RouteTable<E extends Env> = {
  routes: readonly CompiledRoute<E>[]
  /**
   * The protected route of the request in `c` for `method` (default: the request's own method), as
   * Hono dispatches it: the request's routed path (`c.req.path`), the keys placed under the base
   * path of the app the middleware is registered on, `HEAD` as `GET`, methods in any case.
   */
  match(c: Context<E>, method?: string): CompiledRoute<E> | undefined
}

/** Methods Hono never dispatches: `HEAD` runs the `GET` handlers, and fetch refuses the others. */
const undispatched: Readonly<Record<string, string>> = {
  HEAD: 'Hono serves HEAD with the GET handlers; a "GET /path" key covers HEAD',
  CONNECT: 'fetch refuses CONNECT requests, so Hono never sees one',
  TRACE: 'fetch refuses TRACE requests, so Hono never sees one',
  TRACK: 'fetch refuses TRACK requests, so Hono never sees one',
}

/**
 * Each of Hono's routers, so that a key matches whatever router the app was built with
 * (`hono`: RegExpRouter or TrieRouter; `hono/quick`: LinearRouter; `hono/tiny`: PatternRouter).
 * They differ at the edges (LinearRouter and PatternRouter also match `/weather/` for `/weather`);
 * a request is protected when any of them matches it, so the table never guards less than the app
 * dispatches.
 */
const routerKinds: readonly (() => Router<number>)[] = [
  () => new RegExpRouter<number>(),
  () => new TrieRouter<number>(),
  () => new LinearRouter<number>(),
  () => new PatternRouter<number>(),
]

type Entry = { key: string; method: string; path: string }
/** Match answers kept per route table, for paths up to 256 characters (the oldest goes first). */
const answerLimit = 1024
type Matcher = (method: string, path: string) => number | undefined

/** `path` with Hono's `{regex}` groups blanked out, so checks see only its literal characters. */
function literalPart(path: string): string {
  return path.replace(/\{[^}]+\}/g, '{}')
}

/**
 * Why a key's path can never equal a routed path (`c.req.path`), or `undefined`. Routed paths have
 * no query or fragment, and are percent-decoded except for what `decodeURI` keeps (`%2F`, `%3F`,
 * `%25`, ...).
 */
function unmatchablePath(path: string): string | undefined {
  const literal = literalPart(path)
  if (literal.includes('#')) return 'a routed path never contains "#" (the fragment is not sent)'
  const question = literal.indexOf('?')
  if (question !== -1) {
    const last = literal.slice(literal.lastIndexOf('/') + 1)
    const optional = question === literal.length - 1 && last.startsWith(':')
    if (!optional) {
      return 'a routed path never contains "?" (the query string is not part of it); only an optional parameter ends in "?" (/:name?)'
    }
  }
  for (const run of literal.match(/(?:%[0-9A-Fa-f]{2})+/g) ?? []) {
    let decoded: string
    try {
      decoded = decodeURI(run.replace(/%25/g, '%2525'))
    } catch {
      continue // Hono keeps sequences that do not decode as they are
    }
    if (decoded !== run) {
      return `Hono matches the decoded path, so "${run}" never appears in it; write "${decoded}"`
    }
  }
  return undefined
}

function buildRouter(make: () => Router<number>, entries: readonly Entry[], paths: readonly string[], only?: number) {
  try {
    const router = make()
    entries.forEach((entry, index) => {
      if (only === undefined || only === index) router.add(entry.method, paths[index] as string, index)
    })
    router.match('GET', '/') // RegExpRouter builds on its first match; an unsupported set throws here
    return router
  } catch {
    return undefined
  }
}

/**
 * The keys placed under `base` (the base route path of the app the middleware is registered on,
 * joined as Hono joins a sub-app's routes to it) and matched with every router that takes them: one
 * router per kind for all keys, or, when a kind refuses the set, one per key it takes.
 */
function buildMatcher(entries: readonly Entry[], base: string): Matcher {
  const paths = entries.map((entry) => (base === '/' ? entry.path : mergePath(base, entry.path)))
  const routers: Router<number>[] = []
  const covered = new Set<number>()
  for (const make of routerKinds) {
    const all = buildRouter(make, entries, paths)
    if (all) {
      routers.push(all)
      for (let i = 0; i < entries.length; i++) covered.add(i)
      continue
    }
    for (let i = 0; i < entries.length; i++) {
      const one = buildRouter(make, entries, paths, i)
      if (one) {
        routers.push(one)
        covered.add(i)
      }
    }
  }
  const missing = entries.find((_, i) => !covered.has(i))
  if (missing) {
    fail(
      `routes[${JSON.stringify(missing.key)}]`,
      `no Hono router takes the path ${JSON.stringify(paths[entries.indexOf(missing)])}`,
    )
  }
  return (method, path) => {
    let first: number | undefined
    for (const router of routers) {
      for (const entry of router.match(method, path)[0]) {
        const index = entry[0]
        if (first === undefined || index < first) first = index
      }
    }
    return first
  }
}

/**
 * The base route path of the app (sub-app, `basePath`) the running middleware was registered on, as
 * Hono recorded it when it dispatched the request (`'/api'`, `'/:tenant'`); `'/'` for the root app or
 * outside Hono's routing.
 */
export function registeredBase(c: Context): string {
  try {
    const base = baseRoutePath(c)
    return typeof base === 'string' && base.startsWith('/') ? base : '/'
  } catch {
    return '/'
  }
}

/**
 * Validates the routes option and builds its matcher (Hono's own routers, so patterns such as
 * `/forecast/:city` and `/premium/*` mean what they mean in Hono). The first route that matches,
 * in the order given, wins. HEAD requests match GET routes, as Hono routes them. A key that can
 * never match a request (a method Hono never dispatches, a path with a query or an encoded
 * character, a pattern no router takes, a key shadowed by an earlier one) is a ConfigError.
 */
export function compileRoutes<E extends Env>(routes: RoutesOptions<E>): RouteTable<E> {
  if (!isPlainObject(routes)) fail('routes', "must be an object such as { 'GET /weather': { accepts } }", routes)
  const keys = Object.keys(routes)
  if (keys.length === 0) fail('routes', 'needs at least one route')
  const compiled: CompiledRoute<E>[] = []
  const entries: Entry[] = []
  for (const key of keys) {
    const field = `routes[${JSON.stringify(key)}]`
    const parts = key.trim().split(/\s+/)
    const [method, path] = parts.length === 1 ? [METHOD_NAME_ALL, parts[0] as string] : parts
    if (parts.length > 2 || !method || !path || !methodPattern.test(method) || !path.startsWith('/')) {
      fail(field, 'the key must be "METHOD /path" or "/path", e.g. "GET /weather" or "/premium/*"')
    }
    const never = undispatched[method]
    if (never) fail(field, `can never match: ${never}`)
    const unmatchable = unmatchablePath(path)
    if (unmatchable) fail(field, `can never match: ${unmatchable}`)
    try {
      const probe = new TrieRouter<number>()
      probe.add(method, path, 0)
      probe.match(method, path)
    } catch (error) {
      fail(field, `is not a Hono path pattern: ${error instanceof Error ? error.message : String(error)}`)
    }
    const earlier = entries.find(
      (entry) => entry.path === path && (entry.method === METHOD_NAME_ALL || entry.method === method),
    )
    if (earlier) fail(field, `can never match: routes[${JSON.stringify(earlier.key)}] comes first and covers it`)
    compiled.push(compileRoute(key, method === METHOD_NAME_ALL ? 'ALL' : method, path, routes[key] as RouteOptions<E>))
    entries.push({ key, method, path })
  }
  // Built once per base route path the middleware is reached under (a handful per app); the root now.
  const matchers = new Map<string, Matcher>([['/', buildMatcher(entries, '/')]])
  // Answers by base, method and path: a request path seen before costs one map lookup, not four routers.
  const answers = new Map<string, number>()
  return {
    routes: compiled,
    match(c, method = c.req.method) {
      const base = registeredBase(c)
      const upper = method.toUpperCase()
      const routed = upper === 'HEAD' ? 'GET' : upper
      const path = c.req.path
      const key = `${base} ${routed} ${path}`
      let index = answers.get(key)
      if (index === undefined) {
        let matcher = matchers.get(base)
        if (!matcher) {
          matcher = buildMatcher(entries, base)
          matchers.set(base, matcher)
        }
        index = matcher(routed, path) ?? -1
        if (path.length <= 256) {
          if (answers.size >= answerLimit) answers.delete(answers.keys().next().value as string)
          answers.set(key, index)
        }
      }
      return index < 0 ? undefined : compiled[index]
    },
  }
}
