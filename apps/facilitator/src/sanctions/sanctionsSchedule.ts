import type { SanctionsUpdate } from './updateSanctions.ts'

/** What `/ready` shows of the refresh schedule: times are ISO 8601. */
export type SanctionsScheduleStatus = {
  refreshSeconds: number
  lastSuccessAt?: string
  lastFailureAt?: string
  /** `<code>: <reason>` of the last failed update, while no update succeeded since. */
  lastFailure?: string
  nextAt?: string
}

export type SanctionsSchedule = {
  status(): SanctionsScheduleStatus
  /** Runs an update now (one at a time: a call while one runs shares it) and plans the next. */
  run(): Promise<SanctionsUpdate>
  close(): void
}

export type CreateSanctionsScheduleOptions = {
  refreshSeconds: number
  /** One update (fetch, check, swap, audit). */
  update: () => Promise<SanctionsUpdate>
  /** When the loaded list was last confirmed current (its `checkedAt`), in seconds since the epoch. */
  confirmedAt: () => bigint | undefined
  /** Seconds since the epoch. */
  now: () => bigint
  /** After a failure, the next try comes this soon. Default: the refresh, at most an hour. */
  retrySeconds?: number
  /** Each update's outcome (logs, metrics). */
  onUpdate?: (update: SanctionsUpdate) => void
  /** An update that threw (a fault, e.g. the database down). */
  onError?: (error: unknown) => void
  /** A number in [0, 1) that spreads the nodes' runs (up to a tenth of the refresh, at most a minute). Default `Math.random`. */
  random?: () => number
}

const iso = (seconds: bigint) => new Date(Number(seconds) * 1000).toISOString()
/** setTimeout's longest delay. */
const maxDelayMs = 2 ** 31 - 1

/**
 * The refresh schedule of the OFAC list in the service: an update is due `refreshSeconds` after the loaded list was
 * last confirmed current (so a restart does not postpone it, and where several nodes share the list, one node's
 * update makes the others' unnecessary: each checks again when its timer fires). A failed update keeps the list and
 * is retried within the hour, well before the list's maximum age; its time and reason show in `status()`.
 *
 * @example
 * const schedule = createSanctionsSchedule({ refreshSeconds: 86_400, update, confirmedAt: () => loader.current()?.checkedAt, now })
 */
export function createSanctionsSchedule({
  refreshSeconds,
  update,
  confirmedAt,
  now,
  retrySeconds = Math.min(refreshSeconds, 3_600),
  onUpdate,
  onError,
  random = Math.random,
}: CreateSanctionsScheduleOptions): SanctionsSchedule {
  const state: { lastSuccessAt?: bigint; lastFailureAt?: bigint; lastFailure?: string; nextAt?: bigint } = {}
  let timer: ReturnType<typeof setTimeout> | undefined
  let running: Promise<SanctionsUpdate> | undefined
  let closed = false
  const spread = () => random() * Math.min(60, refreshSeconds / 10)

  const plan = (seconds: number) => {
    clearTimeout(timer)
    if (closed) return
    const delay = Math.max(0, seconds)
    state.nextAt = now() + BigInt(Math.ceil(delay))
    timer = setTimeout(tick, Math.min(maxDelayMs, Math.round(delay * 1000)))
    timer.unref()
  }
  const dueIn = () => {
    const confirmed = confirmedAt()
    return confirmed === undefined ? 0 : Number(confirmed + BigInt(refreshSeconds) - now())
  }
  async function tick() {
    // Another node (or the operator) may have confirmed the list since this timer was set.
    const wait = dueIn()
    if (wait > 0) plan(wait + spread())
    else await run().catch(() => undefined)
  }
  function run(): Promise<SanctionsUpdate> {
    running ??= (async () => {
      try {
        const result = await update()
        if (result.ok) {
          state.lastSuccessAt = now()
          delete state.lastFailure
          plan(refreshSeconds + spread())
        } else {
          state.lastFailureAt = now()
          state.lastFailure = `${result.code}: ${result.reason}`
          plan(retrySeconds + spread())
        }
        onUpdate?.(result)
        return result
      } catch (error) {
        state.lastFailureAt = now()
        state.lastFailure = `error: ${error instanceof Error ? error.message : String(error)}`
        plan(retrySeconds + spread())
        onError?.(error)
        throw error
      } finally {
        running = undefined
      }
    })()
    return running
  }
  plan(dueIn() + spread())
  return {
    status: () => ({
      refreshSeconds,
      ...(state.lastSuccessAt === undefined ? {} : { lastSuccessAt: iso(state.lastSuccessAt) }),
      ...(state.lastFailureAt === undefined ? {} : { lastFailureAt: iso(state.lastFailureAt) }),
      ...(state.lastFailure === undefined ? {} : { lastFailure: state.lastFailure }),
      ...(state.nextAt === undefined || closed ? {} : { nextAt: iso(state.nextAt) }),
    }),
    run,
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}
