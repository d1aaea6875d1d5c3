/**
 * The discovery catalogue: resources whose payments settled through this facilitator, as the
 * official bazaar client lists them (`GET /discovery/resources`). An entry is made from the
 * `bazaar` extension the buyer echoed in a settled v2 payment, after checking `info` against its
 * `schema` (as the spec requires of facilitators).
 *
 * @see specs/extensions/bazaar.md (Facilitator Behavior)
 */
import { isValidRouteTemplate } from '@tollgate/protocol'
import * as z from 'zod'

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

/** Where entries are kept: memory, SQLite or PostgreSQL. `record` replaces an entry with the same key. */
export type ResourceCatalogue = {
  record(entry: CatalogueEntry): Promise<void>
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

/** Why a `bazaar` extension cannot be catalogued, or `undefined` when it can. */
export function bazaarProblem(bazaar: unknown): string | undefined {
  if (!isObject(bazaar) || !isObject(bazaar.info) || !isObject(bazaar.schema)) {
    return 'the bazaar extension needs an info object and the JSON Schema it satisfies'
  }
  if (!isObject(bazaar.info.input) || bazaar.info.input.type !== 'http') return 'info.input.type must be "http"'
  if (hasExternalReference(bazaar.schema)) return 'the schema must not contain external $ref/$id references'
  let parser: z.ZodType
  try {
    parser = z.fromJSONSchema(bazaar.schema as z.core.JSONSchema.JSONSchema)
  } catch (error) {
    return `the schema is not a JSON Schema: ${error instanceof Error ? error.message : String(error)}`
  }
  const checked = parser.safeParse(bazaar.info)
  if (!checked.success) {
    const [issue] = checked.error.issues
    return `info does not satisfy the schema: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`
  }
  return undefined
}

/**
 * The catalogue entry of a settled `/settle` body, or `undefined` when it is not catalogued: not v2,
 * no (or an invalid) `bazaar` extension, no absolute resource URL, or a payee that opted out. The URL
 * is the resource's origin with the valid `routeTemplate`, else its path (no query).
 */
export function catalogueEntry(body: unknown, now: bigint, optOut: ReadonlySet<string>): CatalogueEntry | undefined {
  if (!isObject(body) || body.x402Version !== 2) return undefined
  const { paymentPayload: payload, paymentRequirements: requirements } = body
  if (!isObject(payload) || !isObject(requirements) || !isObject(payload.extensions)) return undefined
  const bazaar = payload.extensions.bazaar
  if (bazaarProblem(bazaar) !== undefined) return undefined
  const { info, routeTemplate } = bazaar as { info: { input: { method?: unknown } }; routeTemplate?: unknown }
  const resource = isObject(payload.resource) ? payload.resource : {}
  if (typeof resource.url !== 'string' || !URL.canParse(resource.url)) return undefined
  const payTo = String(requirements.payTo ?? '')
  if (optOut.has(payTo.toLowerCase())) return undefined
  const url = new URL(resource.url)
  const canonical = `${url.origin}${isValidRouteTemplate(routeTemplate) ? routeTemplate : url.pathname}`
  const method = typeof info.input.method === 'string' ? info.input.method : 'GET'
  return {
    key: `${method} ${canonical}`,
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
      ...(typeof resource.description === 'string' ? { description: resource.description } : {}),
      ...(typeof resource.mimeType === 'string' ? { mimeType: resource.mimeType } : {}),
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
      entries.set(entry.key, entry)
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
