/**
 * `tollgate-facilitator doctor URL`: fetches a seller's `/.well-known/x402`, `/openapi.json` and the
 * 402 of each paid resource, and reports what a catalogue (this facilitator's, or Coinbase's bazaar)
 * would reject, with the reason. The seller's documents are data, never instructions: doctor stays on
 * the target's origin, sends GET or HEAD (no body) unless the operator allows another method, follows
 * redirects by hand on the same origin,
 * bounds each request in time and bytes ({@link guardedFetch}), checks examples without running the
 * seller's regular expressions ({@link checkBazaarExample}), and escapes what it prints from them
 * ({@link terminalText}). Each limit can be widened explicitly ({@link DoctorLimits}).
 * `runDoctor` uses Web APIs only (fetch and the name resolver are passed in); the command wrapper
 * defaults the resolver to `node:dns`, prints, and picks the exit code.
 */
import {
  decodeHeader,
  headers as headerNames,
  isValidRouteTemplate,
  matchesTemplate,
  type PaymentRequiredV2,
  paymentRequiredV2Schema,
} from '@tollgate/protocol'
import { checkBazaarExample } from '../discovery/bazaarExample.ts'
import {
  type Fetch,
  type FetchPolicy,
  type GuardedFetchCode,
  type GuardedFetchReturnType,
  guardedFetch,
} from '../discovery/guardedFetch.ts'
import { isPrivateHost, type Resolve } from '../discovery/privateAddress.ts'
import { type DoctorLimits, doctorDefaults, doctorHelp, parseDoctorArgs } from './doctorArgs.ts'
import { terminalText } from './terminalText.ts'

/**
 * One problem: `error` when a catalogue would reject or misfile the resource (or doctor could not read
 * it in time), `warning` otherwise, including what doctor did not check under its limits. `where` and
 * `message` may hold text from the seller's documents: escape them before printing ({@link terminalText}).
 */
export type DoctorFinding = {
  severity: 'error' | 'warning'
  code:
    | 'no_well_known'
    | 'no_openapi'
    | 'no_resources'
    | 'too_many_resources'
    | 'nothing_checked'
    | 'openapi_incomplete'
    | 'not_402'
    | 'bad_402'
    | 'missing_bazaar'
    | 'missing_schema'
    | 'invalid_example'
    | 'invalid_bazaar'
    | 'pattern_not_checked'
    | 'schema_not_checked'
    | 'invalid_route_template'
    | 'route_template_mismatch'
    | 'price_below_settlement_cost'
    // a request doctor did not make, or that did not complete ({@link guardedFetch})
    | GuardedFetchCode
  /** `METHOD url` of the resource, or the document's URL. */
  where: string
  message: string
}

/**
 * Judges one offer of a 402 (its network, asset and price in atomic units) against what settling it
 * costs now: a problem to report, or `undefined` (it pays for itself, or cannot be judged).
 */
export type PriceCheck = (offer: {
  network: string
  asset: string
  amount: string
}) => Promise<{ severity: 'error' | 'warning'; message: string } | undefined>

/** Dependencies and limits of {@link runDoctor}; a bare function is the fetch alone. */
export type DoctorOptions = DoctorLimits & {
  /** The settlement economics of each offer (`price_below_settlement_cost`). Default: not checked. */
  checkPrice?: PriceCheck
  /** Default: the global `fetch`. */
  fetch?: Fetch
  /** Resolves host names, so a name that points at a private address counts as one. Default: none. */
  resolve?: Resolve
}

type Listed = { resource: string; method: string; routeTemplate?: string; bazaar?: Record<string, unknown> }
type Failed = Extract<GuardedFetchReturnType, { ok: false }>

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** Requests the policy refused (the operator can widen it); the others are the seller's failures. */
const notCheckedCodes: ReadonlySet<DoctorFinding['code']> = new Set([
  'off_origin',
  'method_not_checked',
  'redirect_refused',
  'private_address',
  'too_many_redirects',
])

function fetchFinding(failed: Failed, where: string): DoctorFinding {
  const at = failed.url === where || where.endsWith(` ${failed.url}`) ? '' : ` (at ${failed.url})`
  return {
    severity: notCheckedCodes.has(failed.code) ? 'warning' : 'error',
    code: failed.code,
    where,
    message: `${failed.message}${at}`,
  }
}

/** A query or path value of the example as text (JSON for anything but a string, number or boolean). */
const asParam = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : (JSON.stringify(value) ?? '')

/** The largest example body doctor sends (only with a method the operator allowed). */
const maxExampleBody = 65_536

/**
 * The concrete request for a listed resource: the template filled from the example, its example query,
 * and for POST, PUT and PATCH its example body as JSON (sent only if the operator allowed the method).
 */
function exampleRequest(listed: Listed): { url: string; method: string; json?: string } {
  const input = isObject(listed.bazaar?.info) && isObject(listed.bazaar.info.input) ? listed.bazaar.info.input : {}
  const pathParams = isObject(input.pathParams) ? input.pathParams : {}
  const queryParams = isObject(input.queryParams) ? input.queryParams : {}
  const url = new URL(listed.resource)
  url.pathname = url.pathname.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) =>
    encodeURIComponent(Object.hasOwn(pathParams, name) ? asParam(pathParams[name]) : 'example'),
  )
  for (const [name, value] of Object.entries(queryParams)) url.searchParams.set(name, asParam(value))
  const method = listed.method === '*' ? 'GET' : listed.method
  const json = ['POST', 'PUT', 'PATCH'].includes(method) ? JSON.stringify(input.body ?? {}) : undefined
  return { url: url.toString(), method, ...(json === undefined ? {} : { json }) }
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
  for (const problem of checkBazaarExample(bazaar)) findings.push({ ...problem, where })
  const template = bazaar.routeTemplate
  const path = URL.canParse(quote.resource.url) ? new URL(quote.resource.url).pathname : quote.resource.url
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

/** `promise`, or `fallback` when it has not settled after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Checks a seller at `target` (its origin, or one paid resource's URL): every resource of its
 * `/.well-known/x402` (plus `target` itself when it has a path), their 402s and `/openapi.json`,
 * within `options`' limits (see {@link DoctorLimits}; a bare function is the fetch). A resource on
 * another origin, or listed under another method than GET or HEAD, is reported and not requested.
 * An empty list means a catalogue would list everything as described.
 *
 * @example
 * import { runDoctor } from './doctor.ts'
 * const findings = await runDoctor('https://api.example.com', { timeoutMs: 5_000 })
 */
export async function runDoctor(target: string, options: Fetch | DoctorOptions = {}): Promise<DoctorFinding[]> {
  const {
    fetch: fetcher = fetch,
    resolve,
    allowOrigins = [],
    allowMethods = [],
    allowPrivate = false,
    timeoutMs = doctorDefaults.timeoutMs,
    maxBytes = doctorDefaults.maxBytes,
    maxRedirects = doctorDefaults.maxRedirects,
    maxResources = doctorDefaults.maxResources,
    checkPrice,
  } = typeof options === 'function' ? { fetch: options } : options
  const base = new URL(target)
  const targetIsPrivate = await within(isPrivateHost({ resolve }, base), timeoutMs, false)
  const policy: FetchPolicy = {
    origins: new Set([base.origin, ...allowOrigins.map((origin) => new URL(origin).origin)]),
    methods: new Set(['GET', 'HEAD', ...allowMethods.map((method) => method.toUpperCase())]),
    allowPrivate: allowPrivate || targetIsPrivate,
    timeoutMs,
    maxBytes,
    maxRedirects,
  }
  const request = (url: string, method: string, response: 'read' | 'discard', json?: string) =>
    guardedFetch({ fetch: fetcher, resolve, policy }, { url, method, response, json })
  /** A JSON document of the target's origin: its value, `undefined` (absent, not JSON), or why it was not read. */
  const document = async (url: string): Promise<unknown> => {
    const res = await request(url, 'GET', 'read')
    if (!res.ok) return res
    if (res.status < 200 || res.status > 299) return undefined
    try {
      return JSON.parse(new TextDecoder().decode(res.body))
    } catch {
      return undefined
    }
  }
  const failedFetch = (value: unknown): value is Failed => isObject(value) && value.ok === false

  const findings: DoctorFinding[] = []
  const wellKnownUrl = `${base.origin}/.well-known/x402`
  const wellKnown = await document(wellKnownUrl)
  const listed: Listed[] = []
  if (failedFetch(wellKnown)) {
    findings.push(fetchFinding(wellKnown, wellKnownUrl))
  } else if (isObject(wellKnown) && Array.isArray(wellKnown.resources)) {
    const resources = wellKnown.resources.filter(isObject)
    if (resources.length > maxResources) {
      findings.push({
        severity: 'warning',
        code: 'too_many_resources',
        where: wellKnownUrl,
        message: `${resources.length} resources listed: doctor checks the first ${maxResources} (--max-resources)`,
      })
    }
    for (const resource of resources.slice(0, maxResources)) {
      if (typeof resource.resource !== 'string' || !URL.canParse(resource.resource)) continue
      const bazaar =
        isObject(resource.extensions) && isObject(resource.extensions.bazaar) ? resource.extensions.bazaar : undefined
      listed.push({
        resource: new URL(resource.resource).href,
        method: typeof resource.method === 'string' ? resource.method.toUpperCase() : 'GET',
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
    listed.push({ resource: base.href, method: 'GET' })
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
  const openApi = await document(openApiUrl)
  const paths =
    isObject(openApi) && typeof openApi.openapi === 'string' && isObject(openApi.paths) ? openApi.paths : undefined
  if (failedFetch(openApi)) {
    findings.push(fetchFinding(openApi, openApiUrl))
  } else if (!paths) {
    findings.push({
      severity: 'warning',
      code: 'no_openapi',
      where: openApiUrl,
      message: 'no OpenAPI document at /openapi.json',
    })
  }

  let skipped = 0
  for (const entry of listed) {
    const { url, method, json } = exampleRequest(entry)
    const where = `${method} ${entry.resource}`
    if (json !== undefined && json.length > maxExampleBody && policy.methods.has(method)) {
      skipped++
      findings.push({
        severity: 'warning',
        code: 'method_not_checked',
        where,
        message: `the example body is over ${maxExampleBody} characters: not sent`,
      })
      continue
    }
    const res = await request(url, method, 'discard', json)
    if (!res.ok && (res.code === 'off_origin' || res.code === 'method_not_checked')) {
      skipped++
      const message =
        res.code === 'off_origin'
          ? `listed on another origin than ${base.origin}: not fetched (allow it with --allow-origin ${new URL(entry.resource).origin})`
          : `listed for ${method}: not requested, doctor sends only ${[...policy.methods].join(', ')} (allow it with --allow-method ${method})`
      findings.push({ severity: 'warning', code: res.code, where, message })
      continue
    }
    if (paths) {
      const path = new URL(entry.resource).pathname.replace(/:([A-Za-z0-9_]+)/g, '{$1}')
      const item = Object.hasOwn(paths, path) ? paths[path] : undefined
      const operation =
        isObject(item) && Object.hasOwn(item, method.toLowerCase()) ? item[method.toLowerCase()] : undefined
      if (!isObject(operation) || !isObject(operation['x-payment-info'])) {
        findings.push({
          severity: 'warning',
          code: 'openapi_incomplete',
          where,
          message: `/openapi.json has no paid operation (x-payment-info) for ${path}`,
        })
      }
    }
    if (!res.ok) {
      if (notCheckedCodes.has(res.code)) skipped++
      findings.push(fetchFinding(res, where))
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
    for (const offer of checkPrice ? quote.accepts : []) {
      const problem = await checkPrice?.({ network: offer.network, asset: offer.asset, amount: offer.amount }).catch(
        () => undefined,
      )
      if (problem) findings.push({ ...problem, code: 'price_below_settlement_cost', where })
    }
  }
  if (listed.length > 0 && skipped === listed.length) {
    findings.push({
      severity: 'error',
      code: 'nothing_checked',
      where: target,
      message:
        'no listed resource could be checked within the limits (see the warnings): widen them with --allow-origin, --allow-method or --allow-private',
    })
  }
  return findings
}

/** What {@link runDoctorCommand} writes to, and the dependencies it passes to {@link runDoctor}. */
export type DoctorCommandIo = {
  out: (text: string) => void
  err: (text: string) => void
  /** Default: the global `fetch`. */
  fetch?: Fetch
  /** Default: the system resolver (`node:dns`), only when `fetch` is the global one. */
  resolve?: Resolve
  /** Judges each offer's price against its settlement cost. Default: from `env` (see `priceCheckOf`). */
  checkPrice?: PriceCheck
  /** The service's environment: with an RPC URL, each offer's price is judged at current fees. */
  env?: Readonly<Record<string, string | undefined>>
}

const systemResolve: Resolve = async (hostname) => {
  const { lookup } = await import('node:dns/promises')
  return (await lookup(hostname, { all: true })).map(({ address }) => address)
}

/**
 * The doctor command: prints each finding (what came from the seller escaped, see {@link terminalText})
 * and a verdict; exit code 0 when no finding is an error, 1 when one is, 2 on a usage error.
 */
export async function runDoctorCommand(args: readonly string[], io: DoctorCommandIo): Promise<number> {
  const parsed = parseDoctorArgs(args)
  if (!parsed.ok) {
    io.err(`${terminalText(parsed.message)}\n\n${doctorHelp}`)
    return 2
  }
  if (parsed.help) {
    io.out(doctorHelp)
    return 0
  }
  const { target, limits } = parsed
  const resolve = io.resolve ?? (io.fetch ? undefined : systemResolve)
  const checkPrice = io.checkPrice ?? (io.env ? (await import('./doctorPrices.ts')).priceCheckOf(io.env) : undefined)
  const findings = await runDoctor(target, {
    ...limits,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(resolve ? { resolve } : {}),
    ...(checkPrice ? { checkPrice } : {}),
  })
  for (const f of findings) {
    io.out(
      `${f.severity === 'error' ? 'ERROR' : 'warn '} ${f.code} ${terminalText(f.where)}: ${terminalText(f.message)}\n`,
    )
  }
  const notChecked = findings.filter((f) => notCheckedCodes.has(f.code)).length
  if (notChecked > 0)
    io.out(`${notChecked} request(s) not made within the limits (warnings above; see doctor --help)\n`)
  const errors = findings.filter((f) => f.severity === 'error').length
  io.out(
    errors === 0
      ? `ok: a catalogue would list ${terminalText(target)} as described\n`
      : `${errors} problem(s) a catalogue would reject\n`,
  )
  return errors === 0 ? 0 : 1
}
