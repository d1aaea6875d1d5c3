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
import type { Config } from '../config/parseConfig.ts'
import type { Logger } from '../ops/logger.ts'
import type { Metrics } from '../ops/metrics.ts'
import { createSanctionsLoader } from './createSanctionsLoader.ts'

/** The service's screening: the facilitator's part, the list's status for /ready, reload and close. */
export type ServiceScreening = {
  screening: Screening
  status(): { ageSeconds: number; maxAgeSeconds: number; dateOfIssue: string } | undefined
  reload(): void
  close(): void
}

/**
 * Builds screening from the configuration: the OFAC artifact (loaded now, watched, reloaded on SIGHUP; every
 * reload logged, a mass removal as a warning, and counted), the USDC blacklist, the oracle of each configured
 * network, the operator deny list, and the audit trail in the ledger's Store.
 */
export function createServiceScreening(
  config: NonNullable<Config['screening']>,
  { store, logger, metrics, now }: { store: Store; logger: Logger; metrics: Metrics; now: () => bigint },
): ServiceScreening {
  const loader = createSanctionsLoader({
    path: config.listPath,
    removalAlertRatio: config.removalAlertRatio,
    onReload(result, trigger) {
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
    },
  })
  const providers: ScreeningProvider[] = [
    createOfacProvider({
      list: loader.current,
      now,
      maxAgeSeconds: config.maxAgeSeconds,
      onError: config.onError.ofac,
    }),
    createUsdcBlacklistProvider({ onError: config.onError.usdc }),
  ]
  if (config.oracles.size > 0) {
    providers.push(createOracleProvider({ contracts: config.oracles, onError: config.onError.oracle }))
  }
  if (config.deny.length > 0) providers.push(createDenyListProvider({ addresses: config.deny }))
  const status = () => {
    const list = loader.current()
    return list
      ? {
          ageSeconds: Math.max(0, Number(now() - list.checkedAt)),
          maxAgeSeconds: Number(config.maxAgeSeconds),
          dateOfIssue: list.dateOfIssue,
        }
      : undefined
  }
  metrics.watchSanctions(() => {
    const list = loader.current()
    return list ? { ageSeconds: Math.max(0, Number(now() - list.checkedAt)), addresses: list.count } : undefined
  })
  return {
    screening: createScreening({
      providers,
      // Native SHA-256 (node:crypto): the same hash as the package's JS one, a few times faster.
      audit: createAuditLog(store.audit, {
        now,
        sha256: (text) => `0x${createHash('sha256').update(text).digest('hex')}`,
      }),
      allow: config.allow,
      now,
      onDecision: (decision, phase) => metrics.screened(decision, phase),
      onProviderError: (provider, code) => metrics.screeningError(provider, code),
    }),
    status,
    reload: () => {
      loader.reloadFrom('signal')
    },
    close: () => loader.close(),
  }
}
