import { ConfigError } from '@tollgate/protocol'
import type * as z from 'zod'
import { describeVariable, type Env, options } from './options.ts'

/** Where API keys live: the ledger's place, for the service and the `keys` CLI. */
export type KeyStoreConfig = Readonly<{ dataDir: string; databaseUrl: string | undefined; databaseSchema: string }>

/** Reads `TOLLGATE_DATA_DIR`, `TOLLGATE_DATABASE_URL` and `TOLLGATE_DATABASE_SCHEMA` only (the `keys` CLI needs no signer). */
export function parseKeyStoreConfig(env: Env): KeyStoreConfig {
  const problems: string[] = []
  const take = <N extends 'TOLLGATE_DATA_DIR' | 'TOLLGATE_DATABASE_URL' | 'TOLLGATE_DATABASE_SCHEMA'>(name: N) => {
    const raw = env[name]
    const result = options[name].schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) return result.data as z.output<(typeof options)[N]['schema']>
    problems.push(describeVariable(name, result.error.issues[0]?.message ?? 'invalid', raw))
    return undefined
  }
  const dataDir = take('TOLLGATE_DATA_DIR')
  const databaseUrl = take('TOLLGATE_DATABASE_URL')
  const databaseSchema = take('TOLLGATE_DATABASE_SCHEMA')
  if (problems.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${problems[0]}`, details: problems.slice(1) })
  }
  return Object.freeze({ dataDir: dataDir as string, databaseUrl, databaseSchema: databaseSchema as string })
}
