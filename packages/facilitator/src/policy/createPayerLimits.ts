import type { Address } from 'viem'

/** Calls `fire` once after `ms` milliseconds unless the returned function cancels it first. */
export type Timer = (ms: number, fire: () => void) => () => void

/** The system's timer (`setTimeout`, unref'd: a waiting settlement never holds the process open). */
export const systemTimer: Timer = (ms, fire) => {
  const handle = setTimeout(fire, ms)
  ;(handle as { unref?: () => void }).unref?.()
  return () => clearTimeout(handle)
}

export type CreatePayerLimitsOptions = {
  /** Seconds since the epoch (the facilitator's clock). */
  now: () => bigint
  /** How long a payer whose settlement reverted on chain is refused, in seconds. `0n`: never. Default `600n`. */
  coolOffSeconds?: bigint
  /** Most settlements of one payer in flight at once on this node. Default `Infinity` (no cap, no queue). */
  maxInFlight?: number
  /**
   * Most settlements of one payer waiting for a slot (past `maxInFlight`); one more is refused at
   * once (`queue_full`). Default `256`.
   */
  maxQueued?: number
  /** Most settlements waiting for a slot on this node, all payers together. Default `10_000`. */
  maxQueuedTotal?: number
  /** How long a settlement waits for a slot before it is refused (`timeout`), in ms. Default `15_000`. */
  maxWaitMs?: number
  /** Where the wait is timed. Default {@link systemTimer}. */
  timer?: Timer
  /** Most payers remembered in cool-off; past it the soonest to expire is forgotten first. Default `100_000`. */
  maxTracked?: number
}

/**
 * A slot taken: `waited` when it came from the queue (what was read before may have moved since);
 * `leave()` gives it back, to the payer's next waiting settlement if any. Idempotent.
 */
export type PayerSlot = { ok: true; waited: boolean; leave(): void }

/**
 * No slot: the payer's queue was full, every queue of the node was (`queue_full`), or the wait ran
 * out (`timeout`). The facilitator's overload, never the payer's fault: retry later.
 */
export type PayerSlotRefused = { ok: false; reason: 'queue_full' | 'timeout' }

/** Per-payer abuse limits of one node, in memory; see {@link createPayerLimits}. */
export type PayerLimits = {
  /** When the payer's cool-off ends (seconds since the epoch), or `undefined` when it is not cooling off. */
  coolingOffUntil(network: string, payer: Address): bigint | undefined
  /** Starts (or restarts) the payer's cool-off: its settlement reverted after the simulation passed. */
  coolOff(network: string, payer: Address): void
  /**
   * Takes one of the payer's in-flight slots: at once while it has fewer than `maxInFlight`, else
   * after the settlements ahead of it in the payer's queue (first in, first out), bounded in size
   * (`maxQueued`, `maxQueuedTotal`) and in time (`maxWaitMs`).
   */
  acquire(network: string, payer: Address): Promise<PayerSlot | PayerSlotRefused>
  /** The payer's settlements in flight now. */
  inFlight(network: string, payer: Address): number
  /** The payer's settlements waiting for a slot now. */
  waiting(network: string, payer: Address): number
}

const keyOf = (network: string, payer: Address) => `${network}|${payer.toLowerCase()}`

type Waiter = { grant(slot: PayerSlot): void; cancel(): void }

/**
 * The per-payer abuse limits, kept in this node's memory (bounded): a **cool-off** for a payer whose
 * settlement reverted on chain although its simulation passed (a wallet whose code answers one way
 * under `eth_call` and another when mined costs at most one reverted transaction per node per
 * cool-off), and a **cap on settlements in flight** per payer, so that one payer cannot take the
 * signer's whole throughput (nor have more than `maxInFlight` payments simulated against one
 * balance and sent at once). A settlement past the cap **waits** for a slot of its payer, in a
 * first-in first-out queue bounded in size and in time: a busy payer is slowed to its share, never
 * refused for being busy; only a full queue or a wait past `maxWaitMs` is refused, as overload.
 * Per node by design: the ledger stays the one shared truth about payments, and a limit that fails
 * open when the database is slow is worse than one counted locally; with N nodes a payer gets at
 * most N reverted transactions per cool-off.
 *
 * @example
 * import { createPayerLimits } from './createPayerLimits.ts'
 * const limits = createPayerLimits({ now: systemNow, maxInFlight: 16 }) // systemNow from '@tollgate/protocol'
 * const slot = await limits.acquire('eip155:8453', payer)
 * if (!slot.ok) return 'facilitator_unavailable' // 503 with Retry-After
 * try { await send() } finally { slot.leave() }
 */
export function createPayerLimits({
  now,
  coolOffSeconds = 600n,
  maxInFlight = Number.POSITIVE_INFINITY,
  maxQueued = 256,
  maxQueuedTotal = 10_000,
  maxWaitMs = 15_000,
  timer = systemTimer,
  maxTracked = 100_000,
}: CreatePayerLimitsOptions): PayerLimits {
  if (!(maxInFlight >= 1)) throw new TypeError('maxInFlight must be at least 1')
  if (!(maxQueued >= 0) || !(maxQueuedTotal >= 0))
    throw new TypeError('maxQueued and maxQueuedTotal must not be negative')
  if (!(maxWaitMs >= 0)) throw new TypeError('maxWaitMs must not be negative')
  const cooling = new Map<string, bigint>()
  const flying = new Map<string, number>()
  const queues = new Map<string, Waiter[]>()
  let queued = 0

  /** A slot of `key`, given back once: to the payer's first waiter (the count unchanged), else freed. */
  const slotOf = (key: string, waited: boolean): PayerSlot => {
    let held = true
    return {
      ok: true,
      waited,
      leave() {
        if (!held) return
        held = false
        const queue = queues.get(key)
        const next = queue?.shift()
        if (next && queue) {
          queued--
          if (queue.length === 0) queues.delete(key)
          next.cancel()
          next.grant(slotOf(key, true))
          return
        }
        const count = (flying.get(key) ?? 0) - 1
        if (count > 0) flying.set(key, count)
        else flying.delete(key)
      },
    }
  }

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
    acquire(network, payer) {
      const key = keyOf(network, payer)
      const count = flying.get(key) ?? 0
      // Nobody waits ahead (a slot given back goes to the first waiter): take it now.
      if (count < maxInFlight && !queues.has(key)) {
        flying.set(key, count + 1)
        return Promise.resolve(slotOf(key, false))
      }
      const queue = queues.get(key) ?? []
      if (queue.length >= maxQueued || queued >= maxQueuedTotal || maxWaitMs === 0) {
        return Promise.resolve({ ok: false, reason: 'queue_full' })
      }
      return new Promise<PayerSlot | PayerSlotRefused>((resolve) => {
        const waiter: Waiter = {
          grant: resolve,
          cancel: timer(maxWaitMs, () => {
            const at = queue.indexOf(waiter)
            if (at < 0) return // granted meanwhile
            queue.splice(at, 1)
            queued--
            if (queue.length === 0) queues.delete(key)
            resolve({ ok: false, reason: 'timeout' })
          }),
        }
        queue.push(waiter)
        queues.set(key, queue)
        queued++
      })
    },
    inFlight(network, payer) {
      return flying.get(keyOf(network, payer)) ?? 0
    },
    waiting(network, payer) {
      return queues.get(keyOf(network, payer))?.length ?? 0
    },
  }
}
