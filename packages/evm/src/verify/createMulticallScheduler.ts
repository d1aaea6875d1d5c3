import type { Address, BlockTag, Client, Hex } from 'viem'
import {
  type Call3,
  type Call3Result,
  decodeAggregate3Result,
  encodeAggregate3,
  multicall3Address,
} from '../encoding/aggregate3.ts'
import { RpcUnavailableError } from '../errors.ts'

/**
 * The calls of one verification. `reads` run before any group's `effects` in a shared batch, so they
 * always see the chain's state; `effects` (simulated transfers, wallet deployments) run in order
 * after every read of the batch.
 */
export type MulticallGroup = {
  /** Groups with the same key queued at the same time are sent once and share the result. */
  key?: string
  reads: readonly Call3[]
  effects: readonly Call3[]
}

export type MulticallGroupResult = {
  reads: readonly Call3Result[]
  effects: readonly Call3Result[]
  /**
   * True when another group's effects ran before this group's in the same `eth_call`, so a failed
   * effect may be an artefact of sharing (for example a payer's balance spent by an earlier
   * simulation). Schedule again with `isolated: true` to be sure.
   */
  shared: boolean
}

export type ScheduleOptions = {
  /** Send this group in an `eth_call` of its own. Default `false`. */
  isolated?: boolean
}

/** Schedules a group of calls into the next Multicall3 `aggregate3` `eth_call`. */
export type MulticallScheduler = (group: MulticallGroup, options?: ScheduleOptions) => Promise<MulticallGroupResult>

export type CreateMulticallSchedulerOptions = {
  /** Default {@link multicall3Address}. */
  address?: Address
  /** Block the calls run against. Default `'latest'`. */
  blockTag?: BlockTag
  /** Most groups in one `eth_call`. Default `32` (about 3M gas of simulations). */
  maxGroups?: number
  /** Most `eth_call`s outstanding at once; groups queue behind them and leave together. Default `4`. */
  maxInFlight?: number
}

type Queued = {
  group: MulticallGroup
  isolated: boolean
  resolve: (result: MulticallGroupResult) => void
  reject: (error: unknown) => void
}

/**
 * Coalesces the calls of concurrent verifications into Multicall3 `aggregate3` `eth_call`s. A lone
 * verification leaves at once (no timer); under load, groups that arrive while `maxInFlight` calls
 * are outstanding leave together in the next one. This keeps one RPC round trip per verification at
 * worst and amortises it across many at best.
 *
 * @example
 * import { createMulticallScheduler } from '@tollgate/evm'
 * const schedule = createMulticallScheduler(client, { maxGroups: 32 })
 * const { reads, effects } = await schedule({ reads: [call], effects: [] })
 * @see chain.md §6 (batching); https://github.com/mds1/multicall
 */
export function createMulticallScheduler(
  client: Client,
  {
    address = multicall3Address,
    blockTag = 'latest',
    maxGroups = 32,
    maxInFlight = 4,
  }: CreateMulticallSchedulerOptions = {},
): MulticallScheduler {
  const queue: Queued[] = []
  const queuedByKey = new Map<string, Promise<MulticallGroupResult>>()
  let inFlight = 0
  let pumpScheduled = false

  const schedulePump = () => {
    if (pumpScheduled) return
    pumpScheduled = true
    queueMicrotask(pump)
  }

  function take(): Queued[] {
    const first = queue.shift() as Queued
    const batch = [first]
    if (!first.isolated) {
      while (batch.length < maxGroups && queue.length > 0 && !(queue[0] as Queued).isolated) {
        batch.push(queue.shift() as Queued)
      }
    }
    for (const entry of batch) if (entry.group.key !== undefined && !entry.isolated) queuedByKey.delete(entry.group.key)
    return batch
  }

  function pump(): void {
    pumpScheduled = false
    while (inFlight < maxInFlight && queue.length > 0) {
      inFlight++
      void send(take())
    }
  }

  /** Sends one batch and settles its groups; never rejects. */
  async function send(batch: readonly Queued[]): Promise<void> {
    try {
      const calls: Call3[] = []
      for (const { group } of batch) for (const read of group.reads) calls.push(read)
      const readCount = calls.length
      for (const { group } of batch) for (const effect of group.effects) calls.push(effect)
      let results: Call3Result[] | undefined
      try {
        const data = (await client.request({
          method: 'eth_call',
          params: [{ to: address, data: encodeAggregate3(calls) }, blockTag],
        })) as Hex
        results = decodeAggregate3Result(data)
        if (!results || results.length !== calls.length) {
          throw new RpcUnavailableError({
            message:
              data === '0x'
                ? `Multicall3 is not deployed at ${address} on this chain.`
                : 'Multicall3 aggregate3 returned data that does not decode.',
          })
        }
      } catch (error) {
        const fault =
          error instanceof RpcUnavailableError
            ? error
            : new RpcUnavailableError({ message: 'The RPC node did not answer a Multicall3 eth_call.', cause: error })
        for (const entry of batch) entry.reject(fault)
        return
      }
      let readAt = 0
      let effectAt = readCount
      let effectsBefore = false
      for (const { group, resolve } of batch) {
        const reads = results.slice(readAt, readAt + group.reads.length)
        readAt += group.reads.length
        const effects = results.slice(effectAt, effectAt + group.effects.length)
        effectAt += group.effects.length
        resolve({ reads, effects, shared: effectsBefore && group.effects.length > 0 })
        if (group.effects.length > 0) effectsBefore = true
      }
    } finally {
      inFlight--
      if (queue.length > 0) schedulePump()
    }
  }

  return function schedule(group, { isolated = false } = {}) {
    if (!isolated && group.key !== undefined) {
      const existing = queuedByKey.get(group.key)
      if (existing) return existing
    }
    const promise = new Promise<MulticallGroupResult>((resolve, reject) => {
      queue.push({ group, isolated, resolve, reject })
    })
    if (!isolated && group.key !== undefined) queuedByKey.set(group.key, promise)
    schedulePump()
    return promise
  }
}
