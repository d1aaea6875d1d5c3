/**
 * The arguments of `tollgate-facilitator doctor`: the seller's URL, and the flags that widen what the
 * doctor may do (by default: the target's origin only, GET and HEAD only, no private addresses unless
 * the target is one, 10 s and 1 MiB per request, 5 same-origin redirects, 50 resources).
 */

/** What the doctor may do; each field widens or narrows one default of {@link doctorDefaults}. */
export type DoctorLimits = {
  /** Origins besides the target's that listed resources and redirects may be on. */
  allowOrigins?: readonly string[]
  /** Methods besides GET and HEAD that may be sent (POST, PUT and PATCH with the example's JSON body). */
  allowMethods?: readonly string[]
  /** Whether loopback, private and link-local addresses may be contacted when the target is not one. */
  allowPrivate?: boolean
  /** The deadline of each request, redirects and body included, in milliseconds. */
  timeoutMs?: number
  /** The most bytes read of each body. */
  maxBytes?: number
  /** The most redirects followed for one request. */
  maxRedirects?: number
  /** The most listed resources checked. */
  maxResources?: number
}

export const doctorDefaults = { timeoutMs: 10_000, maxBytes: 1_048_576, maxRedirects: 5, maxResources: 50 } as const

/** The flags of `doctor`, for its usage and the CLI's `--help`. */
export const doctorOptionsHelp = `  --allow-origin <origin>  also fetch resources and follow redirects on this origin (repeatable;
                           default: the target's origin only)
  --allow-method <METHOD>  also send this method, POST/PUT/PATCH with the example's JSON body, at most 64 KiB
                           (repeatable; default: GET and HEAD only, never a body)
  --allow-private          allow loopback, private and link-local addresses (default: only when the target is one)
  --timeout-ms <n>         deadline of each request, redirects and body included (default: ${doctorDefaults.timeoutMs})
  --max-bytes <n>          most bytes read of each body (default: ${doctorDefaults.maxBytes})
  --max-redirects <n>      most redirects followed per request (default: ${doctorDefaults.maxRedirects})
  --max-resources <n>      most listed resources checked (default: ${doctorDefaults.maxResources})
`

export const doctorHelp = `Usage: tollgate-facilitator doctor [options] <seller URL>   e.g. doctor https://api.example.com

Fetches the seller's /.well-known/x402, /openapi.json and the 402 of each listed resource, and prints
what a catalogue would reject, and why. The seller's documents are data: unless the flags below allow
more, doctor never follows them to another origin or a private address, sends only GET or HEAD and no
body, and bounds each request in time and bytes; it never runs their regular expressions, and escapes
what it prints from them. Exit code: 0 nothing rejected, 1 problems, 2 a usage error.

Options:
${doctorOptionsHelp}`

export type ParseDoctorArgsReturnType =
  | { ok: true; help: true }
  | { ok: true; help: false; target: string; limits: DoctorLimits }
  | { ok: false; message: string }

const integerFlags = {
  '--timeout-ms': ['timeoutMs', 1, 600_000],
  '--max-bytes': ['maxBytes', 1, 1_073_741_824],
  '--max-redirects': ['maxRedirects', 0, 20],
  '--max-resources': ['maxResources', 1, 10_000],
} as const

const isHttp = (url: URL) => url.protocol === 'http:' || url.protocol === 'https:'

/**
 * Reads `doctor`'s arguments (`--flag value` or `--flag=value`). A bad value is a message naming the flag.
 *
 * @example
 * import { parseDoctorArgs } from './doctorArgs.ts'
 * parseDoctorArgs(['--allow-origin', 'https://cdn.example.com', 'https://api.example.com'])
 * // { ok: true, help: false, target: 'https://api.example.com', limits: { allowOrigins: ['https://cdn.example.com'] } }
 */
export function parseDoctorArgs(args: readonly string[]): ParseDoctorArgsReturnType {
  const origins: string[] = []
  const methods: string[] = []
  const limits: { -readonly [K in keyof DoctorLimits]: DoctorLimits[K] } = {}
  const targets: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--help' || arg === '-h') return { ok: true, help: true }
    if (!arg.startsWith('--')) {
      targets.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq === -1 ? arg : arg.slice(0, eq)
    if (name === '--allow-private') {
      if (eq !== -1) return { ok: false, message: '--allow-private takes no value' }
      limits.allowPrivate = true
      continue
    }
    const value = eq === -1 ? args[++i] : arg.slice(eq + 1)
    if (value === undefined) return { ok: false, message: `${name} needs a value` }
    if (name === '--allow-origin') {
      const url = URL.canParse(value) ? new URL(value) : undefined
      if (!url || !isHttp(url) || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username) {
        return { ok: false, message: `--allow-origin expects an origin such as https://cdn.example.com, not ${value}` }
      }
      origins.push(url.origin)
    } else if (name === '--allow-method') {
      const method = value.toUpperCase()
      if (!/^[A-Z]{1,16}$/.test(method) || ['CONNECT', 'TRACE', 'TRACK'].includes(method)) {
        return { ok: false, message: `--allow-method expects an HTTP method such as POST, not ${value}` }
      }
      methods.push(method)
    } else if (Object.hasOwn(integerFlags, name)) {
      const [field, min, max] = integerFlags[name as keyof typeof integerFlags]
      if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) {
        return { ok: false, message: `${name} expects an integer from ${min} to ${max}, not ${value}` }
      }
      limits[field] = Number(value)
    } else {
      return { ok: false, message: `unknown option ${name}` }
    }
  }
  const [target] = targets
  if (targets.length !== 1 || target === undefined) return { ok: false, message: 'give one seller URL' }
  if (!URL.canParse(target) || !isHttp(new URL(target))) {
    return { ok: false, message: `the seller URL must be http:// or https://, not ${target}` }
  }
  if (origins.length > 0) limits.allowOrigins = origins
  if (methods.length > 0) limits.allowMethods = methods
  return { ok: true, help: false, target, limits }
}
