import { describe, expect, test } from 'vitest'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import { storeSignerLeases } from './storeSignerLeases.ts'

const signer = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

describe('storeSignerLeases', () => {
  test('default: a 6 s lease, renewed every 1.5 s and trusted for 4.75 s, held in the Store', async () => {
    const store = createMemoryStore()
    let now = 1_800_000_000n
    const a = storeSignerLeases({ store, now: () => now }, { owner: 'node-a' })
    const b = storeSignerLeases({ store, now: () => now }, { owner: 'node-b', leaseSeconds: 6 })
    expect({ owner: a.owner, validMs: a.validMs, heartbeatMs: a.heartbeatMs }).toEqual({
      owner: 'node-a',
      validMs: 4_750,
      heartbeatMs: 1_500,
    })
    expect(await a.acquire(signer, undefined)).toBe(1n)
    expect(await b.acquire(signer, undefined)).toBeUndefined()
    expect(await a.acquire(signer, 1n)).toBe(1n)
    now += 6n
    expect(await b.acquire(signer, undefined)).toBe(2n)
    await b.release(signer, 2n)
    expect(await a.acquire(signer, undefined)).toBe(3n)
    await store.close()
  })

  test('behavior: a lease shorter than 2 s, or not whole seconds, is refused at construction', () => {
    const deps = { store: createMemoryStore(), now: () => 0n }
    expect(() => storeSignerLeases(deps, { owner: 'node-a', leaseSeconds: 1 })).toThrow(TypeError)
    expect(() => storeSignerLeases(deps, { owner: 'node-a', leaseSeconds: 2.5 })).toThrow(TypeError)
  })
})
