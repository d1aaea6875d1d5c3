import { ConfigError } from '@tollgate/protocol'
import type * as z from 'zod'
import { list } from './optionSchemas.ts'
import { describeVariable, type Env, type OptionName, options } from './options.ts'

const names = [
  'TOLLGATE_SANCTIONS_LIST',
  'TOLLGATE_SANCTIONS_URL',
  'TOLLGATE_SANCTIONS_TIMEOUT_MS',
  'TOLLGATE_SANCTIONS_MAX_BYTES',
  'TOLLGATE_SANCTIONS_MIN_BYTES',
  'TOLLGATE_SANCTIONS_REDIRECT_HOSTS',
  'TOLLGATE_SANCTIONS_REMOVAL_ALERT',
  'TOLLGATE_DATA_DIR',
  'TOLLGATE_DATABASE_URL',
  'TOLLGATE_DATABASE_SCHEMA',
] as const satisfies readonly OptionName[]

type Values = { [N in (typeof names)[number]]: z.output<(typeof options)[N]['schema']> }

/** What `sanctions update` needs: where the OFAC list is kept, how to fetch it, and where the audit trail is. */
export type SanctionsUpdateConfig = Readonly<{
  /** The list's file, or `undefined` for PostgreSQL. */
  listPath: string | undefined
  url: string
  timeoutMs: number
  maxBytes: number
  minBytes: number
  redirectHosts: readonly string[]
  removalRatio: number
  dataDir: string
  databaseUrl: string | undefined
  databaseSchema: string
}>

/**
 * Reads the variables of `sanctions update` only (the CLI needs no signer or RPC URL), with the service's own
 * schemas; `TOLLGATE_SANCTIONS_LIST` is required here.
 */
export function parseSanctionsUpdateConfig(env: Env): SanctionsUpdateConfig {
  const problems: string[] = []
  const values: Partial<Record<(typeof names)[number], unknown>> = {}
  for (const name of names) {
    const raw = env[name]
    const result = options[name].schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) values[name] = result.data
    else problems.push(describeVariable(name, result.error.issues[0]?.message ?? 'invalid', raw))
  }
  const parsed = values as Values
  if (problems.length === 0 && !parsed.TOLLGATE_SANCTIONS_LIST) {
    problems.push('TOLLGATE_SANCTIONS_LIST: is required: the file of the OFAC list, or postgres')
  }
  if (parsed.TOLLGATE_SANCTIONS_LIST === 'postgres' && !parsed.TOLLGATE_DATABASE_URL) {
    problems.push('TOLLGATE_SANCTIONS_LIST: postgres needs TOLLGATE_DATABASE_URL (the shared database)')
  }
  if (problems.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${problems[0]}`, details: problems.slice(1) })
  }
  return Object.freeze({
    listPath: parsed.TOLLGATE_SANCTIONS_LIST === 'postgres' ? undefined : parsed.TOLLGATE_SANCTIONS_LIST,
    url: parsed.TOLLGATE_SANCTIONS_URL,
    timeoutMs: parsed.TOLLGATE_SANCTIONS_TIMEOUT_MS,
    maxBytes: parsed.TOLLGATE_SANCTIONS_MAX_BYTES,
    minBytes: parsed.TOLLGATE_SANCTIONS_MIN_BYTES,
    redirectHosts: Object.freeze(list(parsed.TOLLGATE_SANCTIONS_REDIRECT_HOSTS).map((host) => host.toLowerCase())),
    removalRatio: Number(parsed.TOLLGATE_SANCTIONS_REMOVAL_ALERT),
    dataDir: parsed.TOLLGATE_DATA_DIR,
    databaseUrl: parsed.TOLLGATE_DATABASE_URL,
    databaseSchema: parsed.TOLLGATE_DATABASE_SCHEMA,
  })
}
