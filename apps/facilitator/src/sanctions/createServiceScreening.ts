import { createHash } from 'node:crypto'
import {
  createAuditLog,
  createDenyListProvider,
  createOfacProvider,
  createOracleProvider,
  createScreening,
  createUsdcBlacklistProvider,
  type SanctionsList,
  type Screening,
  type ScreeningProvider,
  type Store,
} from '@tollgate/facilitator'
import type pg from 'pg'
import type { Config } from '../config/parseConfig.ts'
import type { CloserStack } from '../ops/createCloserStack.ts'
import type { Logger } from '../ops/logger.ts'
import type { Metrics } from '../ops/metrics.ts'
import type { ReadyCheck } from '../ops/ready.ts'
import { createPostgresSanctionsListStore } from '../storage/sanctionsListPostgres.ts'
import { createFileSanctionsListStore } from './createFileSanctionsListStore.ts'
import { createPolledSanctionsLoader } from './createPolledSanctionsLoader.ts'
import { createSanctionsLoader, type SanctionsReload } from './createSanctionsLoader.ts'
import { describeScreening, type ScreeningSummary } from './describeScreening.ts'
import { createSanctionsSchedule, type SanctionsScheduleStatus } from './sanctionsSchedule.ts'
import { createSanctionsUpdateMetrics } from './sanctionsUpdateMetrics.ts'
import { type SanctionsUpdate, updateSanctions } from './updateSanctions.ts'

/** `/ready`'s screening check: the OFAC list's state, the providers of each network, the refresh schedule. */
export type ScreeningReadiness = ReadyCheck & ScreeningSummary & { update?: SanctionsScheduleStatus }

/** The service's screening: the facilitator's part, its readiness, reload. */
export type ServiceScreening = {
  screening: Screening
  status(): ScreeningReadiness
  reload(): void
}

export type ServiceScreeningDeps = {
  store: Store
  /** The pool of `config.databaseUrl`: where the OFAC list lives with `TOLLGATE_SANCTIONS_LIST=postgres`. */
  pool: pg.Pool | undefined
  databaseSchema: string
  networks: Config['networks']
  logger: Logger
  metrics: Metrics
  now: () => bigint
  /** What this opens (a list store, timers, watches) is deferred here. */
  closers: CloserStack
  /** How often nodes compare the shared list (PostgreSQL). Default `5_000`. */
  pollMs?: number | undefined
}

/**
 * Builds screening from the configuration: the USDC blacklist, the oracle of each network that has one, the
 * operator deny list, and, when `TOLLGATE_SANCTIONS_LIST` names where it is kept, the OFAC list (a file, watched
 * and reloaded on SIGHUP; or PostgreSQL, polled by every node), fetched first when there is none yet and then kept
 * fresh by the refresh schedule ({@link updateSanctions}); every decision and every update in the audit trail.
 */
export async function createServiceScreening(
  config: NonNullable<Config['screening']>,
  { store, pool, databaseSchema, networks, logger, metrics, now, closers, pollMs }: ServiceScreeningDeps,
): Promise<ServiceScreening> {
  // Native SHA-256 (node:crypto): the same hash as the package's JS one, a few times faster.
  const audit = createAuditLog(store.audit, {
    now,
    sha256: (text) => `0x${createHash('sha256').update(text).digest('hex')}`,
  })
  const summary = describeScreening(config, networks)
  const providers: ScreeningProvider[] = [createUsdcBlacklistProvider({ onError: config.onError.usdc })]
  if (config.oracles.size > 0) {
    providers.push(createOracleProvider({ contracts: config.oracles, onError: config.onError.oracle }))
  }
  if (config.deny.length > 0) providers.push(createDenyListProvider({ addresses: config.deny }))
  const ofac = await openOfacList(config, { audit, pool, databaseSchema, logger, metrics, now, closers, pollMs })
  if (ofac) {
    providers.unshift(
      createOfacProvider({
        list: ofac.current,
        now,
        maxAgeSeconds: config.maxAgeSeconds,
        onError: config.onError.ofac,
      }),
    )
    metrics.watchSanctions(() => {
      const list = ofac.current()
      return list ? { ageSeconds: Math.max(0, Number(now() - list.checkedAt)), addresses: list.count } : undefined
    })
  }
  const maxAge = Number(config.maxAgeSeconds)
  const status = (): ScreeningReadiness => {
    if (!ofac) return { ok: true, detail: 'on-chain screening only (no OFAC list)', ...summary }
    const list = ofac.current()
    const age = list ? Math.max(0, Number(now() - list.checkedAt)) : undefined
    const update = ofac.schedule?.status()
    const failed = update?.lastFailure
      ? `; the last update failed at ${update.lastFailureAt}: ${update.lastFailure}`
      : ''
    return {
      ok: list !== undefined && (age as number) <= maxAge,
      detail: list
        ? `sanctions list of ${list.dateOfIssue}, ${age} s old (max ${maxAge} s)${failed}`
        : `no sanctions list loaded${failed}`,
      ...summary,
      ...(update ? { update } : {}),
    }
  }
  return {
    screening: createScreening({
      providers,
      audit,
      allow: config.allow,
      now,
      onDecision: (decision, phase) => metrics.screened(decision, phase),
      onProviderError: (provider, code) => metrics.screeningError(provider, code),
    }),
    status,
    reload: () => ofac?.reload('signal'),
  }
}

/** The OFAC list of the service: loaded, kept fresh; `undefined` when none is configured. */
type OfacList = {
  current(): SanctionsList | undefined
  reload(trigger: 'signal' | 'call'): void
  schedule: ReturnType<typeof createSanctionsSchedule> | undefined
}

async function openOfacList(
  config: NonNullable<Config['screening']>,
  {
    audit,
    pool,
    databaseSchema,
    logger,
    metrics,
    now,
    closers,
    pollMs,
  }: Omit<ServiceScreeningDeps, 'store' | 'networks'> & { audit: ReturnType<typeof createAuditLog> },
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
      ...(pollMs === undefined ? {} : { pollMs }),
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
