import { createClient, custom, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { createNonceAllocator } from './createNonceAllocator.ts'

const address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'

function countingClient(counts: number[]) {
  const requests: string[] = []
  const client = createClient({
    transport: custom(
      {
        async request({ method }) {
          requests.push(method)
          return toHex(counts.shift() ?? 0)
        },
      },
      { retryCount: 0 },
    ),
  })
  return { client, requests }
}

describe('createNonceAllocator', () => {
  test('default: reads the pending count once, then hands out consecutive nonces to concurrent callers', async () => {
    const { client, requests } = countingClient([7])
    const nonces = createNonceAllocator(client, { address })
    const acquired = await Promise.all(Array.from({ length: 5 }, () => nonces.acquire()))
    expect(acquired).toEqual([7, 8, 9, 10, 11])
    expect(requests).toEqual(['eth_getTransactionCount'])
  })

  test('behavior: a released nonce is reused first; a hole below a sent nonce is reported', async () => {
    const gaps: number[] = []
    const { client } = countingClient([0])
    const nonces = createNonceAllocator(client, { address, onGap: (nonce) => gaps.push(nonce) })
    const [a, b, c] = [await nonces.acquire(), await nonces.acquire(), await nonces.acquire()]
    nonces.commit(a)
    nonces.release(c) // highest: nothing stranded behind it
    expect(gaps).toEqual([])
    nonces.commit(b)
    nonces.release(a) // pretend a was not sent after all: b is stranded behind it
    expect(gaps).toEqual([0])
    expect(await nonces.acquire()).toBe(0)
    expect(await nonces.acquire()).toBe(2)
    expect(await nonces.acquire()).toBe(3)
  })

  test('behavior: a nonce released before a later one is sent is reported when that one is sent', async () => {
    const gaps: number[] = []
    const { client } = countingClient([0])
    const nonces = createNonceAllocator(client, { address, onGap: (nonce) => gaps.push(nonce) })
    const [a, b] = [await nonces.acquire(), await nonces.acquire()]
    nonces.release(a)
    expect(gaps).toEqual([])
    nonces.commit(b)
    expect(gaps).toEqual([0])
  })

  test('behavior: take removes a specific free nonce once; quiet release does not report', async () => {
    const gaps: number[] = []
    const { client } = countingClient([0])
    const nonces = createNonceAllocator(client, { address, onGap: (nonce) => gaps.push(nonce) })
    const [a, b] = [await nonces.acquire(), await nonces.acquire()]
    nonces.commit(b)
    nonces.release(a, false)
    expect(gaps).toEqual([])
    expect(nonces.take(a)).toBe(true)
    expect(nonces.take(a)).toBe(false)
  })

  test('behavior: resync jumps past nonces used elsewhere and forgets free ones the chain has seen', async () => {
    const { client } = countingClient([0, 10])
    const nonces = createNonceAllocator(client, { address })
    const a = await nonces.acquire()
    nonces.release(a)
    await nonces.resync()
    expect(await nonces.acquire()).toBe(10)
  })

  test('behavior: a failed first read is retried by the next acquire', async () => {
    let calls = 0
    const client = createClient({
      transport: custom(
        {
          async request() {
            calls++
            if (calls === 1) throw new Error('down')
            return toHex(3)
          },
        },
        { retryCount: 0 },
      ),
    })
    const nonces = createNonceAllocator(client, { address })
    await expect(nonces.acquire()).rejects.toMatchObject({ code: 'rpc_unavailable' })
    expect(await nonces.acquire()).toBe(3)
  })

  test('behavior: holes lists released nonces below a sent one; observe skips a nonce an earlier process used', async () => {
    const { client } = countingClient([3])
    const nonces = createNonceAllocator(client, { address })
    nonces.observe(5) // adopted from the journal: the chain's pending count (3) does not know it yet
    expect([await nonces.acquire(), await nonces.acquire()]).toEqual([6, 7])
    nonces.commit(7)
    nonces.release(6, false)
    expect(nonces.holes()).toEqual([6])
    expect(nonces.take(6)).toBe(true)
    expect(nonces.holes()).toEqual([])
  })
})
