export type { CreatePostgresStoreOptions } from './createPostgresStore.ts'
export { createPostgresStore } from './createPostgresStore.ts'
