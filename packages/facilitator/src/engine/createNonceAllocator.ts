import { RpcUnavailableError } from '@tollgate/evm'
import type { Address, Client } from 'viem'
import { getTransactionCount } from 'viem/actions'

/**
 * Hands out one signer's transaction nonces. Allocation is synchronous once loaded, so concurrent
 * settlements never collide; a nonce given back before broadcast is reused first, and if a higher
 * nonce was already broadcast, `onGap` is called so the hole gets filled (otherwise every later
 * transaction would wait behind it forever).
 */
export type NonceAllocator = {
  /** The lowest released nonce, else the next one. The first call reads the chain's pending count. */
  acquire(): Promise<number>
  /** The transaction at `nonce` was broadcast (or the nonce was consumed some other way). */
  commit(nonce: number): void
  /** Nothing was broadcast at `nonce`: reuse it. `notify: false` skips `onGap` (the gap filler's own retries). */
  release(nonce: number, notify?: boolean): void
  /** Takes a specific released nonce (for gap filling); false if it is no longer free. */
  take(nonce: number): boolean
  /** Re-reads the chain's pending count after a "nonce too low" (the key was used elsewhere). */
  resync(): Promise<void>
  /** Released nonces below a broadcast one: holes every later transaction waits behind. */
  holes(): number[]
  /** A transaction at `nonce` exists already (sent by an earlier process): never hand it out. */
  observe(nonce: number): void
  /** Whether `nonce` is free or handed out and not yet committed or released (being signed and sent). */
  held(nonce: number): boolean
}

export type CreateNonceAllocatorOptions = {
  address: Address
  /** Called when a released nonce lies below a broadcast one (on release, or when the later one is sent). */
  onGap?: (nonce: number) => void
}

/**
 * Our own nonce allocation for a settlement signer (viem's nonce manager leaves a permanent gap
 * when a send fails after the nonce was taken: chain.md pitfall 4).
 *
 * @example
 * import { createNonceAllocator } from './createNonceAllocator.ts'
 * const nonces = createNonceAllocator(client, { address: account.address })
 * const nonce = await nonces.acquire()
 * try { await broadcast(nonce); nonces.commit(nonce) } catch { nonces.release(nonce) }
 * @see chain.md §6 pitfalls 4 and 5
 */
export function createNonceAllocator(client: Client, { address, onGap }: CreateNonceAllocatorOptions): NonceAllocator {
  let next = 0
  let loading: Promise<void> | undefined
  let loaded = false
  let highestCommitted = -1
  const free: number[] = []
  const out = new Set<number>()

  const pendingCount = async (): Promise<number> => {
    try {
      return await getTransactionCount(client, { address, blockTag: 'pending' })
    } catch (cause) {
      throw new RpcUnavailableError({ message: `Cannot read the transaction count of ${address}.`, cause })
    }
  }

  const load = () => {
    loading ??= pendingCount().then(
      (count) => {
        next = Math.max(next, count)
        loaded = true
      },
      (error) => {
        loading = undefined
        throw error
      },
    )
    return loading
  }

  return {
    async acquire() {
      if (!loaded) await load()
      const nonce = free.length > 0 ? (free.shift() as number) : next++
      out.add(nonce)
      return nonce
    },
    commit(nonce) {
      out.delete(nonce)
      if (nonce > highestCommitted) highestCommitted = nonce
      // A nonce given back while this one was being sent is now a hole behind it.
      for (const hole of free) if (hole < nonce) onGap?.(hole)
    },
    release(nonce, notify = true) {
      out.delete(nonce)
      if (free.includes(nonce)) return
      free.push(nonce)
      free.sort((a, b) => a - b)
      if (notify && nonce < highestCommitted) onGap?.(nonce)
    },
    take(nonce) {
      const at = free.indexOf(nonce)
      if (at < 0) return false
      free.splice(at, 1)
      out.add(nonce)
      return true
    },
    held(nonce) {
      return out.has(nonce) || free.includes(nonce)
    },
    holes() {
      return free.filter((nonce) => nonce < highestCommitted)
    },
    observe(nonce) {
      if (nonce >= next) next = nonce + 1
      if (nonce > highestCommitted) highestCommitted = nonce
      const at = free.indexOf(nonce)
      if (at >= 0) free.splice(at, 1)
    },
    async resync() {
      const count = await pendingCount()
      if (count > next) next = count
      // Nonces the chain has already seen are not free any more.
      for (let i = free.length - 1; i >= 0; i--) if ((free[i] as number) < count) free.splice(i, 1)
    },
  }
}
