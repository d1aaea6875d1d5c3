import type { Store } from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import pg from 'pg'
import type { Config } from '../config/parseConfig.ts'
import { createMemoryCatalogue, type ResourceCatalogue } from '../discovery/catalogue.ts'
import type { ApiKeyStore } from '../http/apiKeys.ts'
import type { CloserStack } from '../ops/createCloserStack.ts'
import { createPostgresApiKeyStore } from './apiKeysPostgres.ts'
import { createPostgresCatalogue } from './cataloguePostgres.ts'
import { createSqliteCatalogue } from './catalogueSqlite.ts'
import { openApiKeyStore } from './openApiKeyStore.ts'

/** What {@link openStorage} opens where the caller did not pass its own. */
export type OpenStorageParameters = {
  config: Config
  /** The caller's ledger: used, never closed here. */
  store?: Store | undefined
  /** The caller's API keys: used, never closed here. */
  apiKeys?: ApiKeyStore | undefined
  /** The caller's catalogue: used, never closed here. */
  catalogue?: ResourceCatalogue | undefined
}

/** The service's storage: the ledger, and the API keys and catalogue when they are on. */
export type Storage = {
  ledger: Store
  keys: ApiKeyStore | undefined
  catalogue: ResourceCatalogue | undefined
  /** The one PostgreSQL pool of `config.databaseUrl` (ledger, API keys, catalogue, rate limits), when set. */
  pool: pg.Pool | undefined
}

/**
 * Opens the ledger, the API keys (auth on) and the discovery catalogue (discovery on) beside each
 * other: PostgreSQL at `config.databaseUrl` (one pool for all of them, ended after them), else SQLite
 * in `config.dataDir` (the catalogue in memory when the caller passed its own ledger). Each store
 * opened here is deferred on `closers` as soon as it is open; what the caller passed is used as is
 * and left open.
 */
export async function openStorage(
  closers: CloserStack,
  { config, store, apiKeys, catalogue }: OpenStorageParameters,
): Promise<Storage> {
  const { databaseUrl, databaseSchema: schema, dataDir } = config
  const pool = databaseUrl ? openPool(closers, databaseUrl) : undefined
  const ledger =
    store ?? owned(closers, pool ? await createPostgresStore({ pool, schema }) : createSqliteStore({ dataDir }))
  const keys =
    config.auth.mode === 'on'
      ? (apiKeys ??
        owned(closers, pool ? await createPostgresApiKeyStore({ pool, schema }) : await openApiKeyStore(config)))
      : undefined
  const resources = config.discovery
    ? (catalogue ??
      owned(
        closers,
        store
          ? createMemoryCatalogue()
          : pool
            ? await createPostgresCatalogue({ pool, schema })
            : createSqliteCatalogue({ dataDir }),
      ))
    : undefined
  return { ledger, keys, catalogue: resources, pool }
}

/**
 * The pool of one database, shared by the ledger, the API keys, the catalogue and the rate limits
 * (before, each had its own: 10 + 4 + 2 + 4 connections). An idle connection the server drops must
 * not crash the process; the next query reconnects.
 */
function openPool(closers: CloserStack, connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 16 })
  pool.on('error', () => undefined)
  closers.defer(() => pool.end())
  return pool
}

/** `closable`, its closer deferred. */
function owned<T extends { close(): unknown }>(closers: CloserStack, closable: T): T {
  closers.defer(() => closable.close())
  return closable
}
