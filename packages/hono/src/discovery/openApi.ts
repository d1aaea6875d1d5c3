import type { Env } from 'hono'
import { isPlainObject } from '../fail.ts'
import { openApiPath, paramNames } from '../routes/pathPattern.ts'
import type { CompiledRoute } from '../routes/routeOptions.ts'
import type { JsonSchema } from './schema.ts'
import { publishedOffer } from './wellKnown.ts'

/** OpenAPI `info` of the document. */
export type OpenApiInfo = { title: string; version: string; description?: string }

/** An OpenAPI 3.1 document (the parts this package writes). */
export type OpenApiDocument = {
  openapi: '3.1.0'
  info: OpenApiInfo
  servers: { url: string }[]
  paths: Record<string, Record<string, unknown>>
}

const anyMethod = ['get', 'post', 'put', 'patch', 'delete'] as const
const bodyMimes = { json: 'application/json', 'form-data': 'multipart/form-data', text: 'text/plain' } as const

function properties(json: JsonSchema | undefined): Record<string, unknown> {
  return json && isPlainObject(json.properties) ? json.properties : {}
}

function required(json: JsonSchema | undefined): readonly unknown[] {
  return json && Array.isArray(json.required) ? json.required : []
}

function parameters(route: CompiledRoute<Env>): Record<string, unknown>[] {
  const discovery = route.discovery
  const pathSchemas = properties(discovery?.params?.json)
  const path = paramNames(route.path).map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: pathSchemas[name] ?? { type: 'string' },
  }))
  const queryJson = discovery?.query?.json
  const query = Object.entries(properties(queryJson)).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required(queryJson).includes(name),
    schema,
    ...(discovery?.example.query?.[name] === undefined ? {} : { example: discovery.example.query[name] }),
  }))
  return [...path, ...query]
}

function operation(route: CompiledRoute<Env>, method: string): Record<string, unknown> {
  const discovery = route.discovery
  const body = discovery?.body
  const output = discovery?.output
  const example = discovery?.example
  return {
    operationId: `${method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase())}`,
    ...(route.description ? { summary: route.description } : {}),
    parameters: parameters(route),
    ...(body && discovery
      ? {
          requestBody: {
            required: true,
            content: {
              [bodyMimes[discovery.bodyType]]: {
                schema: body.json,
                ...(example?.body === undefined ? {} : { example: example.body }),
              },
            },
          },
        }
      : {}),
    responses: {
      '200': {
        description: 'The paid response (with the PAYMENT-RESPONSE receipt header).',
        content: {
          [route.mimeType]: {
            ...(output ? { schema: output.json } : {}),
            ...(example?.output === undefined ? {} : { example: example.output }),
          },
        },
      },
      ...(discovery
        ? { '400': { description: 'The request does not match the declared input; nothing is charged.' } }
        : {}),
      '402': {
        description: 'Payment required: the x402 v2 quote is in the PAYMENT-REQUIRED header (base64 JSON).',
        headers: { 'PAYMENT-REQUIRED': { schema: { type: 'string' } } },
      },
    },
    'x-payment-info': {
      protocol: 'x402',
      x402Version: 2,
      settle: route.settle,
      offers: route.offers.map(publishedOffer),
    },
  }
}

/**
 * Builds the OpenAPI 3.1 document of compiled routes, served at `origin`: each paid operation with
 * its parameters, body and response schemas and `x-payment-info` (scheme, network, asset, price or
 * price range or `"dynamic"`). A key without a method is described under every method it covers.
 */
export function openApiDocument(
  routes: readonly CompiledRoute<Env>[],
  origin: string,
  info: OpenApiInfo,
): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const path = openApiPath(route.path)
    const item = paths[path] ?? {}
    paths[path] = item
    const methods = route.method === 'ALL' ? anyMethod : [route.method.toLowerCase()]
    for (const method of methods) item[method] ??= operation(route, method)
  }
  return { openapi: '3.1.0', info, servers: [{ url: origin }], paths }
}
