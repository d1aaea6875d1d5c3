import { describe, test } from 'vitest'
import { createMemoryStore } from './createMemoryStore.ts'
import { storeConformance } from './storeConformance.ts'

describe('createMemoryStore conformance', () => {
  for (const { name, run } of storeConformance(createMemoryStore)) test(name, run)
})
