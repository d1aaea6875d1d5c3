import type { Clock } from '@tollgate/protocol'

/** The recent load of payments that settle batched; see {@link createBatchLoad}. */
export type BatchLoad = {
  /** Counts payment `id` as arriving now (once per id, however often it is judged). */
  arrive(id: string): void
  /** Forgets payment `id` (it settles alone after all). */
  leave(id: string): void
  /** How many payments, `id` among them, are expected to share its transaction, at most `maxSize`. */
  expected(id: string, maxSize: number): number
}

/**
 * The payments judged "batched" within the last `windowMs` (the batch window's bound): a payment
 * arriving now is expected to share a transaction with them. A burst is counted as it arrives
 * (`arrive` before any await), so its later payments see the earlier ones; at most `maxTracked` are
 * remembered (the oldest forgotten first).
 *
 * @example
 * import { createBatchLoad } from './batchLoad.ts'
 * const load = createBatchLoad({ windowMs: 2_000, clock: () => performance.now() })
 * load.arrive(id)
 * const size = load.expected(id, 100)
 */
export function createBatchLoad({
  windowMs,
  clock,
  maxTracked = 10_000,
}: {
  windowMs: number
  clock: Clock
  maxTracked?: number
}): BatchLoad {
  const seen = new Map<string, number>()
  const forget = () => {
    const now = clock()
    for (const [id, at] of seen) {
      if (now - at < windowMs && seen.size <= maxTracked) break
      seen.delete(id)
    }
  }
  return {
    arrive(id) {
      if (seen.has(id)) return
      seen.set(id, clock())
      forget()
    },
    leave(id) {
      seen.delete(id)
    },
    expected(id, maxSize) {
      forget()
      const others = seen.size - (seen.has(id) ? 1 : 0)
      return Math.max(1, Math.min(maxSize, others + 1))
    },
  }
}
