import type { Config } from '../config/parseConfig.ts'

/** Which providers screen each enabled network, and what is not screened, in words. */
export type ScreeningSummary = {
  /** Provider ids by CAIP-2 network. */
  providers: Record<string, string[]>
  /** Each provider that does not screen somewhere, and why. */
  notScreening: string[]
}

/**
 * What screening does on each enabled network, from the configuration, as the start log and `/ready` say it: the
 * USDC blacklist everywhere (the asset's own `isBlacklisted`), the sanctions oracle only where one is deployed
 * (Base), the OFAC list when one is configured, the deny list when it has entries. What is missing is named, never
 * silently skipped.
 *
 * @example
 * describeScreening(config.screening, config.networks) // { providers: { 'eip155:84532': ['usdc_blacklist'] }, notScreening: ['chainalysis_oracle: …'] }
 */
export function describeScreening(
  screening: NonNullable<Config['screening']>,
  networks: Config['networks'],
): ScreeningSummary {
  const ofac = screening.listPath !== undefined || screening.listInDatabase
  const providers: Record<string, string[]> = {}
  const notScreening: string[] = []
  if (!ofac) notScreening.push('ofac_sdn: no OFAC list (TOLLGATE_SANCTIONS_LIST is unset)')
  for (const { network, chainId } of networks) {
    const oracle = screening.oracles.has(chainId)
    providers[network] = [
      ...(ofac ? ['ofac_sdn'] : []),
      'usdc_blacklist',
      ...(oracle ? ['chainalysis_oracle'] : []),
      ...(screening.deny.length > 0 ? ['denylist'] : []),
    ]
    if (!oracle) {
      notScreening.push(
        screening.oracles.size === 0
          ? `chainalysis_oracle: off on ${network} (TOLLGATE_SCREENING_ORACLES=off)`
          : `chainalysis_oracle: none deployed on ${network} (TOLLGATE_SCREENING_ORACLES names none)`,
      )
    }
  }
  return { providers, notScreening }
}
