/**
 * The whole Store conformance suite on the Durable Object Store, inside workerd (Miniflare 4, SQLite-backed
 * objects): every case runs in the Worker against fresh objects.
 */
import { join } from 'node:path'
import { storeConformance } from '@tollgate/facilitator/testing'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningWorker, startWorker } from '../hono/worker.ts'

const names = storeConformance(() => {
  throw new Error('names only')
}).map((testCase) => testCase.name)

let worker: RunningWorker

beforeAll(async () => {
  worker = await startWorker(
    join(import.meta.dirname, 'conformanceWorker.ts'),
    {},
    { durableObjects: { STORE: { className: 'StoreObject', useSQLite: true } } },
  )
})

afterAll(async () => {
  await worker?.stop()
})

describe('createDurableObjectStore conformance (Miniflare)', () => {
  names.forEach((name, index) => {
    test(name, async () => {
      const res = await fetch(`${worker.url}/?case=${index}`)
      expect(await res.text()).toBe('ok')
    })
  })
})
