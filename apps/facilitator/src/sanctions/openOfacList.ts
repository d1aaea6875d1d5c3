import type { AuditLog, SanctionsList } from '@tollgate/facilitator'
import type pg from 'pg'
import type { Config } from '../config/parseConfig.ts'
import type { CloserStack } from '../ops/createCloserStack.ts'
import type { Logger } from '../ops/logger.ts'
import type { Metrics } from '../ops/metrics.ts'
import { createPostgresSanctionsListStore } from '../storage/sanctionsListPostgres.ts'
import { createFileSanctionsListStore } from './createFileSanctionsListStore.ts'
import { createPolledSanctionsLoader } from './createPolledSanctionsLoader.ts'
import { createSanctionsLoader, type SanctionsReload } from './createSanctionsLoader.ts'
import { createSanctionsSchedule } from './sanctionsSchedule.ts'
import { createSanctionsUpdateMetrics } from './sanctionsUpdateMetrics.ts'
import { type SanctionsUpdate, updateSanctions } from './updateSanctions.ts'

/** The OFAC list of the service, loaded and kept fresh; see {@link openOfacList}. */
export type OfacList = {
  current(): SanctionsList | undefined
  reload(trigger: 'signal' | 'call'): void
  schedule: ReturnType<typeof createSanctionsSchedule> | undefined
}

export type OpenOfacListDeps = {
  /** Where each update is recorded (the screening audit trail). */
  audit: AuditLog
  /** The pool of `config.databaseUrl`, for `TOLLGATE_SANCTIONS_LIST=postgres`. */
  pool: pg.Pool | undefined
  databaseSchema: string
  logger: Logger
  metrics: Metrics
  now: () => bigint
  /** The list store, the loader and the schedule are deferred here. */
  closers: CloserStack
}

/**
 * The OFAC list where `TOLLGATE_SANCTIONS_LIST` keeps it (`undefined` when it is unset): a file (watched, reloaded on
 * SIGHUP) or PostgreSQL (polled by every node). With no list there yet, one is fetched before serving (the start
 * fails when that fails: a configured list is never screened against as empty); then the refresh schedule keeps it
 * fresh. Every update and reload is logged and counted.
 *
 * @example
 * const ofac = await openOfacList(config.screening, { audit, pool, databaseSchema, logger, metrics, now, closers })
 */
export async function openOfacList(
  config: NonNullable<Config['screening']>,
  { audit, pool, databaseSchema, logger, metrics, now, closers }: OpenOfacListDeps,
): Promise<OfacList | undefined> {
  const { listPath, listInDatabase, update: fetching } = config
  if (listPath === undefined && !listInDatabase) return undefined
  const listStore =
    listPath !== undefined
      ? createFileSanctionsListStore({ path: listPath })
      : await createPostgresSanctionsListStore({ pool: pool as pg.Pool, schema: databaseSchema, now })
  closers.defer(() => listStore.close())
  const updateMetrics = createSanctionsUpdateMetrics(metrics.registry)
  const update = (trigger: 'schedule' | 'start') =>
    updateSanctions(
      { store: listStore, audit, now: () => new Date(Number(now()) * 1000) },
      { ...fetching, removalRatio: config.removalAlertRatio, trigger },
    )
  const logUpdate = (result: SanctionsUpdate) => {
    updateMetrics.updated(result, now())
    const { ok, ...fields } = result
    if (ok)
      logger.info(fields, result.result === 'applied' ? 'sanctions list updated' : 'sanctions list confirmed current')
    else if (result.result === 'held') logger.warn(fields, 'sanctions update held for review; the current list is kept')
    else logger.error(fields, 'sanctions update refused; the current list is kept')
  }

  // No list yet: fetch one before serving (a configured list is never screened against as empty).
  if ((await listStore.sha256()) === undefined) {
    if (fetching.refreshSeconds === 0) {
      throw new Error(
        `Invalid configuration: TOLLGATE_SANCTIONS_LIST: no OFAC list in ${listStore.where}: run tollgate-facilitator sanctions update first (TOLLGATE_SANCTIONS_REFRESH_SECONDS is 0)`,
      )
    }
    const first = await update('start')
    logUpdate(first)
    if (!first.ok && (await listStore.sha256()) === undefined) {
      throw new Error(
        `Invalid configuration: TOLLGATE_SANCTIONS_LIST: no OFAC list in ${listStore.where}, and fetching one failed (${first.code}: ${first.reason})`,
      )
    }
  }

  const onReload = (result: SanctionsReload, trigger: string) => {
    if (!result.ok) {
      metrics.sanctionsReloaded('rejected', 0, false)
      logger.error({ trigger, reason: result.reason }, 'sanctions list refused; the loaded one is kept')
      return
    }
    metrics.sanctionsReloaded(result.changed ? 'loaded' : 'unchanged', result.removed, result.massRemoval)
    if (!result.changed) return
    const { list } = result
    const fields = {
      trigger,
      dateOfIssue: list.dateOfIssue,
      sourceSha256: list.sourceSha256,
      artifactSha256: list.artifactSha256,
      addresses: list.count,
      added: result.added,
      removed: result.removed,
    }
    if (result.massRemoval)
      logger.warn(fields, 'sanctions list loaded: many addresses removed at once, check the source')
    else logger.info(fields, 'sanctions list loaded')
  }
  let current: () => SanctionsList | undefined
  let reload: (trigger: 'signal' | 'call') => unknown
  if (listPath !== undefined) {
    const loader = createSanctionsLoader({ path: listPath, removalAlertRatio: config.removalAlertRatio, onReload })
    closers.defer(() => loader.close())
    current = loader.current
    reload = (trigger) => loader.reloadFrom(trigger)
  } else {
    const loader = await createPolledSanctionsLoader({
      store: listStore,
      removalAlertRatio: config.removalAlertRatio,
      onReload,
    })
    closers.defer(() => loader.close())
    if (!loader.current()) {
      throw new Error(
        `Invalid configuration: TOLLGATE_SANCTIONS_LIST: the OFAC list in ${listStore.where} does not load`,
      )
    }
    current = loader.current
    reload = (trigger) => loader.reload(trigger)
  }

  const schedule =
    fetching.refreshSeconds > 0
      ? createSanctionsSchedule({
          refreshSeconds: fetching.refreshSeconds,
          update: async () => {
            const result = await update('schedule')
            // This node swaps the new list in at once (others by their watch or poll).
            if (result.ok) await reload('call')
            return result
          },
          confirmedAt: () => current()?.checkedAt,
          now,
          onUpdate: logUpdate,
          onError: (error) => {
            updateMetrics.updated(undefined, now())
            logger.error({ err: error }, 'sanctions update failed; the current list is kept')
          },
        })
      : undefined
  if (schedule) closers.defer(() => schedule.close())
  return { current: () => current(), reload: (trigger) => void reload(trigger), schedule }
}
