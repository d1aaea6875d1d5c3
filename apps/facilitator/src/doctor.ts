/**
 * `tollgate-facilitator doctor URL`: fetches a seller's `/.well-known/x402`, `/openapi.json` and the
 * 402 of each paid resource, and reports what a catalogue (this facilitator's, or Coinbase's bazaar)
 * would reject, with the reason. It judges with the catalogue's own rules ({@link bazaarProblem}).
 * Web APIs only (the fetch is passed in); the command wrapper prints and picks the exit code.
 */
import {
  decodeHeader,
  headers as headerNames,
  isValidRouteTemplate,
  matchesTemplate,
  type PaymentRequiredV2,
  paymentRequiredV2Schema,
} from '@tollgate/protocol'
import { bazaarProblem } from './catalogue.ts'

/** One problem: `error` when a catalogue would reject or misfile the resource, `warning` otherwise. */
export type DoctorFinding = {
  severity: 'error' | 'warning'
  code:
    | 'no_well_known'
    | 'no_openapi'
    | 'no_resources'
    | 'openapi_incomplete'
    | 'not_402'
    | 'bad_402'
    | 'missing_bazaar'
    | 'missing_schema'
    | 'invalid_example'
    | 'invalid_bazaar'
    | 'invalid_route_template'
    | 'route_template_mismatch'
  /** `METHOD url` of the resource, or the document's URL. */
  where: string
  message: string
}

type Fetch = (input: string, init?: RequestInit) => Response | Promise<Response>
type Listed = { resource: string; method: string; routeTemplate?: string; bazaar?: Record<string, unknown> }

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

async function getJson(fetcher: Fetch, url: string): Promise<unknown> {
  try {
    const res = await fetcher(url, { headers: { accept: 'application/json' } })
    return res.ok ? await res.json() : undefined
  } catch {
    return undefined
  }
}

/** The concrete request for a listed resource: the template filled from the example, its example query. */
function exampleRequest(listed: Listed): { url: string; init: RequestInit } {
  const input = (
    isObject(listed.bazaar?.info) && isObject(listed.bazaar.info.input) ? listed.bazaar.info.input : {}
  ) as {
    queryParams?: Record<string, unknown>
    pathParams?: Record<string, unknown>
    body?: unknown
  }
  const url = new URL(listed.resource)
  url.pathname = url.pathname.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    encodeURIComponent(String(input.pathParams?.[name] ?? 'example')),
  )
  for (const [name, value] of Object.entries(input.queryParams ?? {})) url.searchParams.set(name, String(value))
  const method = listed.method === '*' ? 'GET' : listed.method
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(method)
  return {
    url: url.toString(),
    init: {
      method,
      headers: { accept: 'application/json', ...(hasBody ? { 'content-type': 'application/json' } : {}) },
      ...(hasBody ? { body: JSON.stringify(input.body ?? {}) } : {}),
    },
  }
}

/** The `bazaar` problems of one 402 (missing, schema-less, an example its schema refuses, a bad template). */
function bazaarFindings(quote: PaymentRequiredV2, where: string, listed: Listed): DoctorFinding[] {
  const error = (code: DoctorFinding['code'], message: string): DoctorFinding => ({
    severity: 'error',
    code,
    where,
    message,
  })
  const bazaar = quote.extensions?.bazaar
  if (!isObject(bazaar)) {
    return [error('missing_bazaar', 'the 402 has no bazaar extension: catalogues will not list this resource')]
  }
  if (!isObject(bazaar.schema)) {
    return [error('missing_schema', 'the bazaar extension has no schema: catalogues must validate info against it')]
  }
  const findings: DoctorFinding[] = []
  const input =
    isObject(bazaar.schema.properties) && isObject(bazaar.schema.properties.input) ? bazaar.schema.properties.input : {}
  const inputProperties = isObject(input.properties) ? input.properties : {}
  const info = isObject(bazaar.info) && isObject(bazaar.info.input) ? bazaar.info.input : {}
  for (const part of ['queryParams', 'body'] as const) {
    const described = inputProperties[part]
    if (info[part] !== undefined && (!isObject(described) || !isObject(described.properties))) {
      findings.push(
        error('missing_schema', `info.input.${part} has no property schema: agents cannot tell what to send`),
      )
    }
  }
  const problem = bazaarProblem(bazaar)
  if (problem) {
    findings.push(error(problem.startsWith('info does not satisfy') ? 'invalid_example' : 'invalid_bazaar', problem))
  }
  const template = bazaar.routeTemplate
  const path = new URL(quote.resource.url).pathname
  if (template !== undefined && !isValidRouteTemplate(template)) {
    findings.push(
      error(
        'invalid_route_template',
        `routeTemplate ${JSON.stringify(template)} breaks the catalogue rules; the concrete path is listed instead`,
      ),
    )
  } else if (typeof template === 'string' && !matchesTemplate(template, path)) {
    findings.push(
      error(
        'route_template_mismatch',
        `routeTemplate ${template} does not match the resource path ${path}: the catalogue would list the wrong URL`,
      ),
    )
  } else if (listed.routeTemplate !== undefined && template !== listed.routeTemplate) {
    findings.push(
      error(
        'route_template_mismatch',
        `/.well-known/x402 says routeTemplate ${listed.routeTemplate}, the 402 says ${String(template)}`,
      ),
    )
  }
  return findings
}

/**
 * Checks a seller at `target` (its origin, or one paid resource's URL): every resource of its
 * `/.well-known/x402` (plus `target` itself when it has a path), their 402s and `/openapi.json`.
 * An empty list means a catalogue would list everything as described.
 */
export async function runDoctor(target: string, fetcher: Fetch = fetch): Promise<DoctorFinding[]> {
  const base = new URL(target)
  const findings: DoctorFinding[] = []
  const wellKnownUrl = `${base.origin}/.well-known/x402`
  const wellKnown = await getJson(fetcher, wellKnownUrl)
  const listed: Listed[] = []
  if (isObject(wellKnown) && Array.isArray(wellKnown.resources)) {
    for (const resource of wellKnown.resources.filter(isObject)) {
      if (typeof resource.resource !== 'string' || !URL.canParse(resource.resource)) continue
      const bazaar =
        isObject(resource.extensions) && isObject(resource.extensions.bazaar) ? resource.extensions.bazaar : undefined
      listed.push({
        resource: resource.resource,
        method: typeof resource.method === 'string' ? resource.method : 'GET',
        ...(typeof resource.routeTemplate === 'string' ? { routeTemplate: resource.routeTemplate } : {}),
        ...(bazaar ? { bazaar } : {}),
      })
    }
  } else {
    findings.push({
      severity: 'warning',
      code: 'no_well_known',
      where: wellKnownUrl,
      message: 'no /.well-known/x402 document: crawlers cannot find the paid routes',
    })
  }
  if (base.pathname !== '/' && !listed.some((l) => new URL(l.resource).pathname === base.pathname)) {
    listed.push({ resource: target, method: 'GET' })
  }

  if (listed.length === 0) {
    findings.push({
      severity: 'error',
      code: 'no_resources',
      where: target,
      message: 'no paid resource found: give a resource URL, or publish /.well-known/x402',
    })
  }
  const openApiUrl = `${base.origin}/openapi.json`
  const openApi = await getJson(fetcher, openApiUrl)
  if (!isObject(openApi) || typeof openApi.openapi !== 'string' || !isObject(openApi.paths)) {
    findings.push({
      severity: 'warning',
      code: 'no_openapi',
      where: openApiUrl,
      message: 'no OpenAPI document at /openapi.json',
    })
  }

  for (const entry of listed) {
    const { url, init } = exampleRequest(entry)
    const where = `${init.method} ${entry.resource}`
    if (isObject(openApi) && isObject(openApi.paths)) {
      const path = new URL(entry.resource).pathname.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
      const item = openApi.paths[path]
      const operation = isObject(item) ? item[String(init.method).toLowerCase()] : undefined
      if (!isObject(operation) || !isObject(operation['x-payment-info'])) {
        findings.push({
          severity: 'warning',
          code: 'openapi_incomplete',
          where,
          message: `/openapi.json has no paid operation (x-payment-info) for ${path}`,
        })
      }
    }
    let res: Response
    try {
      res = await fetcher(url, init)
    } catch (error) {
      findings.push({ severity: 'error', code: 'not_402', where, message: `the request failed: ${String(error)}` })
      continue
    }
    if (res.status !== 402) {
      const hint = res.status === 400 ? ' (the example request is refused as invalid input)' : ''
      findings.push({
        severity: 'error',
        code: 'not_402',
        where,
        message: `the example request got ${res.status}, not 402${hint}`,
      })
      continue
    }
    let quote: PaymentRequiredV2
    try {
      quote = decodeHeader(paymentRequiredV2Schema, res.headers.get(headerNames.paymentRequired))
    } catch (error) {
      findings.push({
        severity: 'error',
        code: 'bad_402',
        where,
        message: `the PAYMENT-REQUIRED header is not a v2 quote: ${String(error)}`,
      })
      continue
    }
    findings.push(...bazaarFindings(quote, where, entry))
  }
  return findings
}

/** The doctor command: prints each finding and a verdict; exit code 1 when any finding is an error. */
export async function runDoctorCommand(
  args: readonly string[],
  io: { out: (text: string) => void; err: (text: string) => void; fetch?: Fetch },
): Promise<number> {
  const [target] = args
  if (!target || !URL.canParse(target) || args.length > 1) {
    io.err('Usage: tollgate-facilitator doctor <seller URL>   e.g. doctor https://api.example.com\n')
    return 2
  }
  const findings = await runDoctor(target, io.fetch)
  for (const f of findings) io.out(`${f.severity === 'error' ? 'ERROR' : 'warn '} ${f.code} ${f.where}: ${f.message}\n`)
  const errors = findings.filter((f) => f.severity === 'error').length
  io.out(
    errors === 0
      ? `ok: a catalogue would list ${target} as described\n`
      : `${errors} problem(s) a catalogue would reject\n`,
  )
  return errors === 0 ? 0 : 1
}
