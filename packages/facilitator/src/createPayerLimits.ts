import type { Address } from 'viem'

export type CreatePayerLimitsOptions = {
  /** Seconds since the epoch (the facilitator's clock). */
  now: () => bigint
  /** How long a payer whose settlement reverted on chain is refused, in seconds. `0n`: never. Default `600n`. */
  coolOffSeconds?: bigint
  /** Most settlements of one payer in flight at once on this node. Default `Infinity` (no cap). */
  maxInFlight?: number
  /** Most payers remembered in cool-off; past it the soonest to expire is forgotten first. Default `100_000`. */
  maxTracked?: number
}

/** Per-payer abuse limits of one node, in memory; see {@link createPayerLimits}. */
export type PayerLimits = {
  /** When the payer's cool-off ends (seconds since the epoch), or `undefined` when it is not cooling off. */
  coolingOffUntil(network: string, payer: Address): bigint | undefined
  /** Starts (or restarts) the payer's cool-off: its settlement reverted after the simulation passed. */
  coolOff(network: string, payer: Address): void
  /** Takes one of the payer's in-flight slots: `false` when it already has `maxInFlight`. */
  enter(network: string, payer: Address): boolean
  /** Gives an in-flight slot back. */
  leave(network: string, payer: Address): void
  /** The payer's settlements in flight now. */
  inFlight(network: string, payer: Address): number
}

const keyOf = (network: string, payer: Address) => `${network}|${payer.toLowerCase()}`

/**
 * The per-payer abuse limits, kept in this node's memory (bounded): a **cool-off** for a payer whose
 * settlement reverted on chain although its simulation passed (a wallet whose code answers one way
 * under `eth_call` and another when mined costs at most one reverted transaction per node per
 * cool-off), and a **cap on settlements in flight** per payer (one key cannot queue the signer's
 * whole throughput). Per node by design: the ledger stays the one shared truth about payments,
 * and a limit that fails open when the database is slow is worse than one counted locally; with N
 * nodes a payer gets at most N reverted transactions per cool-off.
 *
 * @example
 * import { createPayerLimits, systemNow } from '@tollgate/facilitator'
 * const limits = createPayerLimits({ now: systemNow, maxInFlight: 4 })
 * if (!limits.enter('eip155:8453', payer)) return 'rate_limited'
 */
export function createPayerLimits({
  now,
  coolOffSeconds = 600n,
  maxInFlight = Number.POSITIVE_INFINITY,
  maxTracked = 100_000,
}: CreatePayerLimitsOptions): PayerLimits {
  const cooling = new Map<string, bigint>()
  const flying = new Map<string, number>()
  return {
    coolingOffUntil(network, payer) {
      const key = keyOf(network, payer)
      const until = cooling.get(key)
      if (until === undefined) return undefined
      if (until > now()) return until
      cooling.delete(key)
      return undefined
    },
    coolOff(network, payer) {
      if (coolOffSeconds <= 0n) return
      const key = keyOf(network, payer)
      cooling.delete(key)
      if (cooling.size >= maxTracked) {
        const at = now()
        for (const [other, until] of cooling) if (until <= at) cooling.delete(other)
        // Still full: forget the oldest entry (insertion order is the order they end in).
        if (cooling.size >= maxTracked) cooling.delete(cooling.keys().next().value as string)
      }
      cooling.set(key, now() + coolOffSeconds)
    },
    enter(network, payer) {
      const key = keyOf(network, payer)
      const count = flying.get(key) ?? 0
      if (count >= maxInFlight) return false
      flying.set(key, count + 1)
      return true
    },
    leave(network, payer) {
      const key = keyOf(network, payer)
      const count = (flying.get(key) ?? 0) - 1
      if (count > 0) flying.set(key, count)
      else flying.delete(key)
    },
    inFlight(network, payer) {
      return flying.get(keyOf(network, payer)) ?? 0
    },
  }
}
