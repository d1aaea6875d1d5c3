import { type Facilitator, systemClock } from '@tollgate/facilitator'
import { type CheckReadyOptions, checkReady, type Readiness } from './ready.ts'

/**
 * `/ready` for probes: one check at a time, its answer shared for 1 s, so that `/ready` cannot be
 * used to flood the RPC; once draining (`options().draining`), every call checks again.
 */
export function createReadyProbe(facilitator: Facilitator, options: () => CheckReadyOptions): () => Promise<Readiness> {
  let last: { at: number; answer: Promise<Readiness> } | undefined
  return function ready() {
    const current = options()
    if (current.draining) return checkReady(facilitator, current)
    if (!last || systemClock() - last.at >= 1_000)
      last = { at: systemClock(), answer: checkReady(facilitator, current) }
    return last.answer
  }
}
