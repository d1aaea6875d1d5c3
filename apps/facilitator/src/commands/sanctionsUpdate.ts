/**
 * `tollgate-facilitator sanctions update`: fetches OFAC's SDN_ADVANCED.XML from TOLLGATE_SANCTIONS_URL, checks it and
 * swaps it in where TOLLGATE_SANCTIONS_LIST says (this node's file, or the shared PostgreSQL database for every node),
 * recording the outcome in the screening audit trail.
 */
import { readFileSync } from 'node:fs'
import { createAuditLog, type Store, systemNow } from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import type { Env } from '../config/options.ts'
import { parseSanctionsUpdateConfig, type SanctionsUpdateConfig } from '../config/parseSanctionsUpdateConfig.ts'
import { createFileSanctionsListStore } from '../sanctions/createFileSanctionsListStore.ts'
import type { SanctionsListStore } from '../sanctions/sanctionsListStore.ts'
import { updateSanctions } from '../sanctions/updateSanctions.ts'
import { createPostgresSanctionsListStore } from '../storage/sanctionsListPostgres.ts'
import { environmentFrom } from './cli.ts'

export const sanctionsUpdateHelp = `Usage:
  tollgate-facilitator sanctions update [--config <file>] [--allow-mass-removal]

Fetches TOLLGATE_SANCTIONS_URL (OFAC's SDN_ADVANCED.XML), within TOLLGATE_SANCTIONS_TIMEOUT_MS and
TOLLGATE_SANCTIONS_MAX_BYTES, following redirects only to its own host or TOLLGATE_SANCTIONS_REDIRECT_HOSTS; refuses a
list smaller than TOLLGATE_SANCTIONS_MIN_BYTES, a malformed or truncated one, or one older than the current list; holds
one that removes more than TOLLGATE_SANCTIONS_REMOVAL_ALERT of the addresses (written beside the current one for
review; --allow-mass-removal applies it); otherwise replaces the list at TOLLGATE_SANCTIONS_LIST atomically (a file of
this node, or postgres: every node sharing TOLLGATE_DATABASE_URL loads it within seconds). The same source as the
current list only confirms it (its age starts again). Each outcome is recorded in the audit trail. Prints one JSON line;
exit 0 applied or unchanged, 1 refused or held, 2 usage or configuration.
`

export type SanctionsUpdateCommandIo = {
  env: Env
  out: (text: string) => void
  err: (text: string) => void
  /** Default: the global `fetch`. */
  fetch?: typeof fetch
}

async function open(config: SanctionsUpdateConfig): Promise<{ ledger: Store; list: SanctionsListStore }> {
  if (!config.databaseUrl) {
    return {
      ledger: createSqliteStore({ dataDir: config.dataDir }),
      list: createFileSanctionsListStore({ path: config.listPath as string }),
    }
  }
  const connection = { connectionString: config.databaseUrl, schema: config.databaseSchema }
  const ledger = await createPostgresStore({ ...connection, max: 2 })
  try {
    return {
      ledger,
      list:
        config.listPath !== undefined
          ? createFileSanctionsListStore({ path: config.listPath })
          : await createPostgresSanctionsListStore({ ...connection, now: systemNow }),
    }
  } catch (error) {
    await ledger.close()
    throw error
  }
}

/** Runs `sanctions update` and answers the exit code: `0` applied or unchanged, `1` refused or held, `2` usage. */
export async function runSanctionsUpdateCommand(
  args: readonly string[],
  { env, out, err, fetch: fetchImpl }: SanctionsUpdateCommandIo,
): Promise<number> {
  if (args.includes('--help')) {
    out(sanctionsUpdateHelp)
    return 0
  }
  let config: SanctionsUpdateConfig
  try {
    const rest = args.filter((arg) => arg !== '--allow-mass-removal')
    config = parseSanctionsUpdateConfig(environmentFrom(rest, env, (path) => readFileSync(path, 'utf8')))
  } catch (error) {
    err(`sanctions update: ${(error as Error).message}\n`)
    return 2
  }
  let stores: Awaited<ReturnType<typeof open>> | undefined
  try {
    stores = await open(config)
    const update = await updateSanctions(
      {
        store: stores.list,
        audit: createAuditLog(stores.ledger.audit, { now: systemNow }),
        now: () => new Date(),
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      },
      {
        url: config.url,
        timeoutMs: config.timeoutMs,
        maxBytes: config.maxBytes,
        minBytes: config.minBytes,
        redirectHosts: config.redirectHosts,
        removalRatio: config.removalRatio,
        allowMassRemoval: args.includes('--allow-mass-removal'),
        trigger: 'command',
      },
    )
    const { ok, ...shown } = update
    out(`${JSON.stringify({ where: stores.list.where, ...shown })}\n`)
    return ok ? 0 : 1
  } catch (error) {
    err(`sanctions update: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    await stores?.list.close()
    await stores?.ledger.close()
  }
}
