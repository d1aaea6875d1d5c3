export type { CreateSqliteStoreOptions } from './createSqliteStore.ts'
export { createSqliteStore } from './createSqliteStore.ts'
