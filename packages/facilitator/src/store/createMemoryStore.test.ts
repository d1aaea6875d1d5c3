import { describe, test } from 'vitest'
import { storeConformance } from '../conformance/storeConformance.ts'
import { createMemoryStore } from './createMemoryStore.ts'

describe('createMemoryStore conformance', () => {
  for (const { name, run } of storeConformance(createMemoryStore)) test(name, run)
})
