import { isValidRouteTemplate } from '@tollgate/protocol'
import { fail, isPlainObject } from '../fail.ts'
import { paramNames, routeTemplate } from '../routes/pathPattern.ts'
import { type CompiledSchema, compileSchema, exampleParams, type JsonSchema, type Schema } from './schema.ts'

/** What a route takes. Query and path parameters are read as their declared types (`?days=3` is 3). */
export type RouteInput = {
  /** The query string, as an object schema (`z.object({ city: z.string() })`). */
  query?: Schema
  /** The path's parameters (`:city` of `/forecast/:city`), as an object schema. */
  params?: Schema
  /** The request body (POST, PUT, PATCH). */
  body?: Schema
  /** How the body is sent. Default `'json'`. */
  bodyType?: 'json' | 'form-data' | 'text'
  /**
   * The most bytes of `body` the middleware reads to check it, before any payment; a larger body is answered
   * `413 payload_too_large`. Default: `paymentRequired`'s `maxBodyBytes` (1 MiB).
   */
  maxBodyBytes?: number
}

/** An example call of a route: what a catalogue shows, checked against the schemas at startup. */
export type RouteExample = {
  query?: Record<string, unknown>
  params?: Record<string, unknown>
  body?: unknown
  /** An example of the paid response. */
  output?: unknown
}

/** A route's declared input, output and example, validated once. */
export type CompiledDiscovery = {
  method: string
  query: CompiledSchema | undefined
  params: CompiledSchema | undefined
  body: CompiledSchema | undefined
  bodyType: 'json' | 'form-data' | 'text'
  /** The route's own cap on the body read before payment, when it sets one. */
  maxBodyBytes: number | undefined
  output: CompiledSchema | undefined
  /** The example, with parameters read as a request's would be. */
  example: RouteExample
  /** Whether the 402 carries the `bazaar` extension. */
  discoverable: boolean
}

type Declared = { input?: unknown; output?: unknown; example?: unknown; discoverable?: unknown }

const bodyMethods: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH'])
const queryMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'DELETE'])
const bodyTypes: ReadonlySet<string> = new Set(['json', 'form-data', 'text'])

/** Checks an example part at startup; a schema that checks asynchronously is checked on requests only. */
function checkExample(schema: CompiledSchema, value: unknown, field: string, against: string): void {
  const result = schema.check(value)
  if (result instanceof Promise || result.ok) return
  const problems = result.issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
  fail(field, `does not match ${against}: ${problems.join('; ')}`, value)
}

/**
 * Compiles the discovery part of a route (`input`, `output`, `example`, `discoverable`); `undefined`
 * when the route declares none of them. Throws a ConfigError naming the field for a key without a
 * method, a body on a GET, a parameter the path does not have, or an example its schema refuses.
 */
export function compileDiscovery(
  route: Declared,
  method: string,
  path: string,
  field: string,
): CompiledDiscovery | undefined {
  const { input, output, example, discoverable } = route
  if (input === undefined && output === undefined && example === undefined && discoverable === undefined) {
    return undefined
  }
  if (discoverable !== undefined && typeof discoverable !== 'boolean') {
    fail(`${field}.discoverable`, 'must be a boolean', discoverable)
  }
  if (!bodyMethods.has(method) && !queryMethods.has(method)) {
    fail(field, 'a described route needs one of GET, HEAD, DELETE, POST, PUT, PATCH in its key ("GET /path")')
  }
  if (input !== undefined && !isPlainObject(input)) fail(`${field}.input`, 'must be { query?, params?, body? }', input)
  if (example !== undefined && !isPlainObject(example)) {
    fail(`${field}.example`, 'must be { query?, params?, body?, output? }', example)
  }
  const declared = (input ?? {}) as RouteInput
  const given = (example ?? {}) as RouteExample
  const { bodyType = 'json', maxBodyBytes } = declared
  if (!bodyTypes.has(bodyType)) fail(`${field}.input.bodyType`, 'must be "json", "form-data" or "text"', bodyType)
  if (maxBodyBytes !== undefined && (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0)) {
    fail(`${field}.input.maxBodyBytes`, 'must be a positive integer (bytes)', maxBodyBytes)
  }
  if (maxBodyBytes !== undefined && declared.body === undefined) {
    fail(`${field}.input.maxBodyBytes`, 'caps the body the middleware reads: declare input.body with it')
  }
  if (declared.body !== undefined && !bodyMethods.has(method)) {
    fail(`${field}.input.body`, `a ${method} request has no body; use input.query`)
  }
  const schema = (key: 'query' | 'params' | 'body') =>
    declared[key] === undefined ? undefined : compileSchema(declared[key], `${field}.input.${key}`)
  const query = schema('query')
  const params = schema('params')
  const body = schema('body')
  const out = output === undefined ? undefined : compileSchema(output, `${field}.output`)

  const names = paramNames(path)
  const declaredParams = params && isPlainObject(params.json.properties) ? Object.keys(params.json.properties) : []
  for (const name of declaredParams) {
    if (!names.includes(name)) fail(`${field}.input.params`, `"${name}" is not a parameter of ${path}`)
  }
  const template = routeTemplate(path)
  if (template !== undefined && !isValidRouteTemplate(template)) {
    fail(field, `its route template ${template} has characters a catalogue refuses (letters, digits, _ . - ~ only)`)
  }

  const read: RouteExample = {}
  for (const key of ['query', 'params'] as const) {
    const value = given[key]
    if (value === undefined) continue
    if (!isPlainObject(value)) fail(`${field}.example.${key}`, 'must be an object of parameter values', value)
    const compiled = key === 'query' ? query : params
    read[key] = compiled ? exampleParams(compiled.json, value) : value
    if (compiled) checkExample(compiled, read[key], `${field}.example.${key}`, `input.${key}`)
  }
  if (given.body !== undefined) {
    read.body = given.body
    if (body) checkExample(body, given.body, `${field}.example.body`, 'input.body')
  }
  if (given.output !== undefined) {
    read.output = given.output
    if (out) checkExample(out, given.output, `${field}.example.output`, 'output')
  }
  return {
    method,
    query,
    params,
    body,
    bodyType,
    maxBodyBytes,
    output: out,
    example: read,
    discoverable: discoverable !== false,
  } satisfies CompiledDiscovery
}

const draft = 'https://json-schema.org/draft/2020-12/schema'

/** `{ type: 'object', ...schema }`: a parameter map's schema as the bazaar schema embeds it. */
function objectSchema(json: JsonSchema | undefined): JsonSchema {
  return { type: 'object', ...(json ?? {}) }
}

/** Where a request is: the route template and this request's path parameters, when the path has any. */
export type DescribedRequest = { routeTemplate?: string; pathParams?: Record<string, unknown> }

/** The `bazaar` extension object: `info`, the `schema` it satisfies, and `routeTemplate` when parameterised. */
export type BazaarExtension = { info: Record<string, unknown>; schema: Record<string, unknown>; routeTemplate?: string }

/**
 * The `bazaar` extension of a route's 402: `info` (the example call and response) and the JSON
 * Schema `info` satisfies, plus `routeTemplate` for a parameterised path.
 *
 * @see specs/extensions/bazaar.md (PaymentRequired, Dynamic Routes and routeTemplate)
 */
export function bazaarExtension(
  discovery: CompiledDiscovery,
  mimeType: string,
  where: DescribedRequest,
): BazaarExtension {
  const { method, example } = discovery
  const hasBody = bodyMethods.has(method)
  const input: Record<string, unknown> = { type: 'http', method }
  if (hasBody) {
    input.bodyType = discovery.bodyType
    input.body = example.body ?? {}
  }
  if (example.query) input.queryParams = example.query
  if (where.pathParams) input.pathParams = where.pathParams
  const outputType = /json/i.test(mimeType) ? 'json' : 'text'
  const describesOutput = discovery.output !== undefined || example.output !== undefined
  const info: Record<string, unknown> = {
    input,
    ...(describesOutput
      ? { output: { type: outputType, ...(example.output === undefined ? {} : { example: example.output }) } }
      : {}),
  }
  const inputProperties: Record<string, unknown> = {
    type: { type: 'string', const: 'http' },
    method: { type: 'string', enum: [method] },
    ...(hasBody
      ? {
          bodyType: { type: 'string', enum: ['json', 'form-data', 'text'] },
          body: discovery.body?.json ?? {},
        }
      : {}),
    ...(discovery.query || example.query ? { queryParams: objectSchema(discovery.query?.json) } : {}),
    ...(discovery.params || where.routeTemplate ? { pathParams: objectSchema(discovery.params?.json) } : {}),
    headers: { type: 'object', additionalProperties: { type: 'string' } },
  }
  const schema = {
    $schema: draft,
    type: 'object',
    properties: {
      input: {
        type: 'object',
        properties: inputProperties,
        required: hasBody ? ['type', 'method', 'bodyType', 'body'] : ['type', 'method'],
        additionalProperties: false,
      },
      ...(describesOutput
        ? {
            output: {
              type: 'object',
              properties: {
                type: { type: 'string' },
                format: { type: 'string' },
                example: discovery.output?.json ?? {},
              },
              required: ['type'],
            },
          }
        : {}),
    },
    required: ['input'],
  }
  return { info, schema, ...(where.routeTemplate ? { routeTemplate: where.routeTemplate } : {}) }
}
