import { Counter, Gauge, type Registry } from 'prom-client'
import type { SanctionsUpdate } from './updateSanctions.ts'

/** Records the service's OFAC list updates in its metrics; see {@link createSanctionsUpdateMetrics}. */
export type SanctionsUpdateMetrics = {
  /** One update's outcome, at `at` (seconds since the epoch). */
  updated(update: SanctionsUpdate | undefined, at: bigint): void
}

/**
 * The refresh schedule's metrics, on the service's registry: `tollgate_sanctions_updates_total{result,code}`
 * (`applied`, `unchanged`, `refused`, `held`, `error`), and the times of the last successful and the last failed
 * update (`tollgate_sanctions_update_last_success_timestamp_seconds`, `..._last_failure_timestamp_seconds`); the
 * list's own age is `tollgate_screening_list_age_seconds`. Alert on a failure, long before the age reaches
 * `TOLLGATE_SANCTIONS_MAX_AGE_HOURS`.
 *
 * @example
 * const metrics = createSanctionsUpdateMetrics(serviceMetrics.registry)
 * metrics.updated(await schedule.run(), now())
 */
export function createSanctionsUpdateMetrics(registry: Registry): SanctionsUpdateMetrics {
  const updates = new Counter({
    name: 'tollgate_sanctions_updates_total',
    help: 'OFAC list updates by result (applied, unchanged, refused, held, error) and refusal code',
    labelNames: ['result', 'code'],
    registers: [registry],
  })
  const lastSuccess = new Gauge({
    name: 'tollgate_sanctions_update_last_success_timestamp_seconds',
    help: 'when an update of the OFAC list last succeeded (applied, or confirmed unchanged), seconds since the epoch',
    registers: [registry],
  })
  const lastFailure = new Gauge({
    name: 'tollgate_sanctions_update_last_failure_timestamp_seconds',
    help: 'when an update of the OFAC list last failed (refused, held or error; the current list is kept)',
    registers: [registry],
  })
  return {
    updated(update, at) {
      if (!update) {
        updates.inc({ result: 'error', code: 'error' })
        lastFailure.set(Number(at))
        return
      }
      updates.inc({ result: update.result, code: update.ok ? '' : update.code })
      ;(update.ok ? lastSuccess : lastFailure).set(Number(at))
    },
  }
}
