export type { CreateDurableObjectStoreOptions } from './createDurableObjectStore.ts'
export { createDurableObjectStore, ledgerShardOf } from './createDurableObjectStore.ts'
export { StoreObject } from './StoreObject.ts'
export type {
  DurableObjectNamespace,
  DurableObjectState,
  DurableObjectStorage,
  SqlStorage,
  Stub,
} from './workersTypes.ts'
