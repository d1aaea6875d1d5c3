import { createHash } from 'node:crypto'
import {
  createAuditLog,
  createDenyListProvider,
  createOfacProvider,
  createOracleProvider,
  createScreening,
  createUsdcBlacklistProvider,
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
import { describeScreening, type ScreeningSummary } from './describeScreening.ts'
import { openOfacList } from './openOfacList.ts'
import type { SanctionsScheduleStatus } from './sanctionsSchedule.ts'

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
}

/**
 * Builds screening from the configuration: the USDC blacklist, the oracle of each network that has one, the
 * operator deny list, and, when `TOLLGATE_SANCTIONS_LIST` names where it is kept, the OFAC list (a file, watched
 * and reloaded on SIGHUP; or PostgreSQL, polled by every node), fetched first when there is none yet and then kept
 * fresh by the refresh schedule ({@link updateSanctions}); every decision and every update in the audit trail.
 */
export async function createServiceScreening(
  config: NonNullable<Config['screening']>,
  { store, pool, databaseSchema, networks, logger, metrics, now, closers }: ServiceScreeningDeps,
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
  const ofac = await openOfacList(config, { audit, pool, databaseSchema, logger, metrics, now, closers })
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
