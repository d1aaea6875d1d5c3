/**
 * The discovery catalogue: resources whose payments settled through this facilitator, as the
 * official bazaar client lists them (`GET /discovery/resources`). An entry says only what its
 * resource server asserted: the resource it names (`tollgate.resource`), what it declares about it
 * (`tollgate.discovery`: its own quote's description and `bazaar` extension) and the requirements it
 * sent, from a caller authenticated for that payee. Nothing the buyer echoed (`paymentPayload`) is
 * read, and a declared schema is stored as data: never compiled, never run.
 *
 * @see specs/extensions/bazaar.md (Facilitator Behavior); docs/security.md
 */
import { isValidRouteTemplate, matchesTemplate } from '@tollgate/protocol'

/** One listed resource (the official `DiscoveryResource` shape). */
export type CatalogueItem = {
  resource: string
  type: 'http'
  x402Version: number
  accepts: Record<string, unknown>[]
  lastUpdated: string
  description?: string
  mimeType?: string
  extensions?: Record<string, unknown>
}

/** An item with the fields the catalogue filters on. */
export type CatalogueEntry = {
  /** `METHOD url`: one entry per method of a canonical URL. */
  key: string
  /**
   * The resource's origin (`https://api.example.com`): its entries belong to the payee that listed
   * it first, so one payee never replaces, nor lists beside, another's.
   */
  origin: string
  type: string
  payTo: string
  network: string
  scheme: string
  updatedAt: bigint
  item: CatalogueItem
}

export type CatalogueQuery = {
  type?: string
  payTo?: string
  network?: string
  scheme?: string
  limit: number
  offset: number
}

export type CataloguePage = { items: CatalogueItem[]; total: number }

/**
 * Where entries are kept: memory, SQLite or PostgreSQL. `record` adds or replaces the entry of its
 * key and answers `true`, unless its origin belongs to another payee: then nothing changes and it
 * answers `false` (the check and the write are one atomic step).
 */
export type ResourceCatalogue = {
  record(entry: CatalogueEntry): Promise<boolean>
  list(query: CatalogueQuery): Promise<CataloguePage>
  close(): Promise<void>
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

function hasExternalReference(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(hasExternalReference)
  if (!isObject(node)) return false
  return Object.entries(node).some(
    ([key, value]) =>
      ((key === '$ref' || key === '$id') && !(typeof value === 'string' && value.startsWith('#'))) ||
      hasExternalReference(value),
  )
}

/** The methods a catalogue entry may name. */
const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * Why a declared `bazaar` extension cannot be catalogued, or `undefined` when it can. Its shape only:
 * an `info` object for an `http` input and a JSON Schema object without external references. The
 * schema is never compiled nor run: it is the seller's statement, and a regular expression in it
 * could take the facilitator's one event loop for minutes.
 */
export function bazaarProblem(bazaar: unknown): string | undefined {
  if (!isObject(bazaar) || !isObject(bazaar.info) || !isObject(bazaar.schema)) {
    return 'the bazaar extension needs an info object and the JSON Schema it satisfies'
  }
  if (!isObject(bazaar.info.input) || bazaar.info.input.type !== 'http') return 'info.input.type must be "http"'
  const { method } = bazaar.info.input
  if (method !== undefined && !(typeof method === 'string' && methods.has(method))) {
    return 'info.input.method must be an HTTP method'
  }
  if (hasExternalReference(bazaar.schema)) return 'the schema must not contain external $ref/$id references'
  return undefined
}

/** Who sent a `/settle`: authenticated callers only (see {@link catalogueEntry}). */
export type CatalogueCaller = { keyId: string } | undefined

/**
 * The catalogue entry of a settled `/settle` body, or `undefined` when it is not catalogued: no
 * authenticated caller (with auth off anyone may call `/settle`), not v2, no `tollgate.resource` on
 * http(s), no (or an invalid) declared `bazaar` extension, or a payee that opted out. The URL is the
 * resource's origin with the declared route template when it matches the resource's path, else its
 * path (no query).
 */
export function catalogueEntry(
  body: unknown,
  caller: CatalogueCaller,
  now: bigint,
  optOut: ReadonlySet<string>,
): CatalogueEntry | undefined {
  if (caller === undefined || !isObject(body)) return undefined
  const { paymentPayload: payload, paymentRequirements: requirements, tollgate } = body
  if (!isObject(payload) || payload.x402Version !== 2 || !isObject(requirements) || !isObject(tollgate)) {
    return undefined
  }
  const { resource, discovery } = tollgate
  if (typeof resource !== 'string' || !/^https?:\/\//i.test(resource) || !URL.canParse(resource)) return undefined
  if (!isObject(discovery) || bazaarProblem(discovery.bazaar) !== undefined) return undefined
  const bazaar = discovery.bazaar as { info: { input: { method?: string } }; routeTemplate?: unknown }
  const payTo = String(requirements.payTo ?? '')
  if (optOut.has(payTo.toLowerCase())) return undefined
  const url = new URL(resource)
  const template = bazaar.routeTemplate
  const path = isValidRouteTemplate(template) && matchesTemplate(template, url.pathname) ? template : url.pathname
  const canonical = `${url.origin}${path}`
  return {
    key: `${bazaar.info.input.method ?? 'GET'} ${canonical}`,
    origin: url.origin,
    type: 'http',
    payTo,
    network: String(requirements.network ?? ''),
    scheme: String(requirements.scheme ?? ''),
    updatedAt: now,
    item: {
      resource: canonical,
      type: 'http',
      x402Version: 2,
      accepts: [requirements],
      lastUpdated: new Date(Number(now) * 1000).toISOString(),
      ...(typeof discovery.description === 'string' ? { description: discovery.description } : {}),
      ...(typeof discovery.mimeType === 'string' ? { mimeType: discovery.mimeType } : {}),
      extensions: { bazaar },
    },
  }
}

/** Whether an entry passes a query's filters (payTo compared case-insensitively). */
export function matchesQuery(entry: CatalogueEntry, query: CatalogueQuery): boolean {
  return (
    (query.type === undefined || entry.type === query.type) &&
    (query.payTo === undefined || entry.payTo.toLowerCase() === query.payTo.toLowerCase()) &&
    (query.network === undefined || entry.network === query.network) &&
    (query.scheme === undefined || entry.scheme === query.scheme)
  )
}

/** Newest first, then by key. */
export const byRecency = (a: CatalogueEntry, b: CatalogueEntry): number =>
  a.updatedAt === b.updatedAt ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : a.updatedAt > b.updatedAt ? -1 : 1

/** The catalogue in memory (one process; tests and `TOLLGATE_STORE` memory setups). */
export function createMemoryCatalogue(): ResourceCatalogue {
  const entries = new Map<string, CatalogueEntry>()
  return {
    async record(entry) {
      const payTo = entry.payTo.toLowerCase()
      for (const other of entries.values()) {
        if (other.origin === entry.origin && other.payTo.toLowerCase() !== payTo) return false
      }
      entries.set(entry.key, entry)
      return true
    },
    async list(query) {
      const found = [...entries.values()].filter((entry) => matchesQuery(entry, query)).sort(byRecency)
      return { items: found.slice(query.offset, query.offset + query.limit).map((e) => e.item), total: found.length }
    },
    async close() {},
  }
}

const maxLimit = 1000

/** `?type=&payTo=&network=&scheme=&limit=&offset=` of `/discovery/resources`; a bad value is a message. */
export function parseCatalogueQuery(params: URLSearchParams): CatalogueQuery | string {
  const integer = (name: string, fallback: number, max: number): number | string => {
    const raw = params.get(name)
    if (raw === null) return fallback
    const value = Number(raw)
    return /^\d+$/.test(raw) && value <= max ? value : `${name} must be an integer from 0 to ${max}`
  }
  const limit = integer('limit', 100, maxLimit)
  const offset = integer('offset', 0, Number.MAX_SAFE_INTEGER)
  if (typeof limit === 'string') return limit
  if (typeof offset === 'string') return offset
  const query: CatalogueQuery = { limit, offset }
  for (const name of ['type', 'payTo', 'network', 'scheme'] as const) {
    const value = params.get(name)
    if (value !== null) query[name] = value
  }
  return query
}
