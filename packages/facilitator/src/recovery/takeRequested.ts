import type { Facilitator } from '../createFacilitator.ts'
import { resettle } from './resettle.ts'

export type TakeRequestedOptions = {
  /** Milliseconds between looks at the ledger. Default `100`. */
  intervalMs?: number
  /** How long a taken row is this node's before another signing node may take it. Default `15n` s. */
  leaseSeconds?: bigint
  /** Rows taken per look, at most. Default `64`. */
  limit?: number
  /** Where faults go. Default: the facilitator's `logError`. */
  onError?: (error: unknown) => void
}

/** The request taker; see {@link takeRequested}. */
export type RequestTaker = { start(): void; stop(): Promise<void> }

/**
 * The signing side of a hand-over on a shared ledger: while this node may sign (a signer lease held),
 * every `intervalMs` it claims the rows other nodes handed over (`requested`, see `handOff`) and
 * settles each from the ledger ({@link resettle}: re-verified, claimed `settling`, sent by its
 * signer), so the requesting node answers its buyer from the ledger within the settle wait. A node
 * that dies with rows taken leaves them for another signing node once `leaseSeconds` pass.
 *
 * @example
 * import { takeRequested } from './takeRequested.ts'
 * const taker = takeRequested(facilitator)
 * taker.start()
 * await taker.stop()
 */
export function takeRequested(
  facilitator: Facilitator,
  { intervalMs = 100, leaseSeconds = 15n, limit = 64, onError = facilitator.logError }: TakeRequestedOptions = {},
): RequestTaker {
  const owner = `taker-${facilitator.nodeId ?? Math.random().toString(36).slice(2, 10)}`
  const settling = new Set<Promise<unknown>>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let started = false

  const look = async () => {
    if (settling.size >= limit) return
    // Only a node that can sign and pay for the gas now takes a row: one whose signer cannot pay (its
    // lease held, no ETH) would hold the row until its claim lapses while the buyer waits.
    const networks = [...facilitator.networks.values()].filter(({ settler }) => settler.canSign())
    const able = await Promise.all(networks.map(({ settler }) => settler.availability('eoa')))
    const signing = networks.filter((_, i) => able[i] === 'here')
    if (signing.length === 0) return
    const rows = await facilitator.store.claim({
      states: ['requested'],
      owner,
      leaseSeconds,
      limit: limit - settling.size,
      now: facilitator.now(),
    })
    for (const row of rows) {
      if (!signing.some(({ network }) => network === row.network)) continue
      const running = resettle(facilitator, row)
        .catch(onError)
        .finally(() => settling.delete(running))
      settling.add(running)
    }
  }

  const schedule = () => {
    if (!started) return
    timer = setTimeout(() => {
      look().then(schedule, (error: unknown) => {
        onError(error)
        schedule()
      })
    }, intervalMs)
  }

  return {
    start() {
      if (started) return
      started = true
      schedule()
    },
    async stop() {
      started = false
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      await Promise.allSettled([...settling])
    },
  }
}
