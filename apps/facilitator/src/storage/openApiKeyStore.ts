import type { KeyStoreConfig } from '../config/parseKeyStoreConfig.ts'
import type { ApiKeyStore } from '../http/apiKeys.ts'
import { createPostgresApiKeyStore } from './apiKeysPostgres.ts'
import { createSqliteApiKeyStore } from './apiKeysSqlite.ts'

/** The API key store of a configuration: PostgreSQL when `databaseUrl` is set, else SQLite in `dataDir`. */
export async function openApiKeyStore(config: KeyStoreConfig): Promise<ApiKeyStore> {
  return config.databaseUrl
    ? createPostgresApiKeyStore({ connectionString: config.databaseUrl, schema: config.databaseSchema })
    : createSqliteApiKeyStore({ dataDir: config.dataDir })
}
