import type { Clock } from '@tollgate/protocol'

/**
 * How much gas cost beyond what payments bring in the facilitator may risk, per network and node;
 * see {@link createLossAllowance}.
 */
export type LossAllowance = {
  /**
   * Sets `amount` aside for payment `id` (the shortfall its settlement may leave) and answers `true`,
   * or `false` (nothing set aside) when the allowance cannot hold it now. A second call for the same
   * id answers `true` and sets nothing more aside.
   */
  take(id: string, amount: bigint): boolean
  /** Whether payment `id` has something set aside. */
  holds(id: string): boolean
  /**
   * A transaction carrying payments `ids` was sent: what was set aside for them comes back, and the
   * `loss` it leaves (cost beyond what they bring in; `0n` when none) is charged.
   */
  settle(ids: readonly string[], loss: bigint): void
  /** What can be taken now. */
  available(): bigint
}

export type CreateLossAllowanceOptions = {
  /** How much may be lost per hour (in the unit of the amounts, such as USDC atomic units); also the most at once. */
  perHour: bigint
  /** How long an amount set aside for a payment that is never sent (released, expired) is held, in ms. */
  holdMs: number
  /** Milliseconds on a monotonic clock. */
  clock: Clock
}

const hourMs = 3_600_000n

/**
 * A bucket of `perHour` that refills evenly over the hour: the bound on what sub-cent payments that
 * the recent load cannot batch profitably may cost the facilitator. What is set aside at `/verify`
 * (the expected shortfall) comes back when the payment's transaction is sent, and the real loss of
 * that transaction is charged instead, so a burst of payments that end up in a batch that pays for
 * itself costs none of it; an amount set aside for a payment never sent comes back after `holdMs`.
 * The loss charged may take the bucket below zero (a transaction always goes): then nothing more is
 * taken until it has refilled.
 *
 * @example
 * import { createLossAllowance } from './lossAllowance.ts'
 * const allowance = createLossAllowance({ perHour: 50_000n, holdMs: 180_000, clock: () => performance.now() })
 * if (!allowance.take(paymentId, 820n)) refuse()
 */
export function createLossAllowance({ perHour, holdMs, clock }: CreateLossAllowanceOptions): LossAllowance {
  if (perHour < 0n) throw new TypeError('perHour must not be negative')
  let level = perHour
  let at = clock()
  const setAside = new Map<string, { amount: bigint; at: number }>()
  const refill = () => {
    const now = clock()
    const elapsed = BigInt(Math.max(0, Math.floor(now - at)))
    if (elapsed > 0n) {
      level += (perHour * elapsed) / hourMs
      if (level > perHour) level = perHour
      at = now
    }
    // Set aside for payments never sent: back after holdMs (Map order is insertion order).
    for (const [id, entry] of setAside) {
      if (now - entry.at < holdMs) break
      setAside.delete(id)
      level += entry.amount
    }
    if (level > perHour) level = perHour
  }
  return {
    take(id, amount) {
      if (setAside.has(id)) return true
      if (amount <= 0n) return true
      refill()
      if (level < amount) return false
      level -= amount
      setAside.set(id, { amount, at: clock() })
      return true
    },
    holds: (id) => setAside.has(id),
    settle(ids, loss) {
      refill()
      for (const id of ids) {
        const entry = setAside.get(id)
        if (!entry) continue
        setAside.delete(id)
        level += entry.amount
      }
      level -= loss > 0n ? loss : 0n
      if (level > perHour) level = perHour
    },
    available() {
      refill()
      return level
    },
  }
}
