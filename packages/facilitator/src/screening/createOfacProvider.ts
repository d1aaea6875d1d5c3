import type { Address } from 'viem'
import type { SanctionsList } from './sanctionsArtifact.ts'
import type { ProviderOutcome, ScreeningProvider } from './types.ts'

const clear: ProviderOutcome = { kind: 'clear' }

/**
 * OFAC's list, as the loaded artifact (`list()` answers the current one: a hot swap takes effect at the next
 * decision). `not_loaded` with no artifact, `stale` when its `checkedAt` is older than `maxAgeSeconds`.
 */
export function createOfacProvider({
  list,
  now,
  maxAgeSeconds,
  onError = 'block',
}: {
  list: () => SanctionsList | undefined
  now: () => bigint
  maxAgeSeconds: bigint
  onError?: 'block' | 'allow'
}): ScreeningProvider {
  return {
    id: 'ofac_sdn',
    floor: true,
    onError,
    screen(context) {
      const current = list()
      if (!current) {
        const error: ProviderOutcome = { kind: 'error', code: 'not_loaded' }
        return { payer: error, payee: error, version: {} }
      }
      const age = now() - current.checkedAt
      const version = {
        dateOfIssue: current.dateOfIssue,
        sourceSha256: current.sourceSha256,
        artifactSha256: current.artifactSha256,
        ageSeconds: Number(age),
      }
      const check = (address: Address): ProviderOutcome => {
        const entry = current.addresses.get(address)
        return entry ? { kind: 'hit', ...(entry.refs.length ? { ref: entry.refs.join(',') } : {}) } : clear
      }
      // A hit still counts on a stale list; only the absence of one is in doubt.
      const stale: ProviderOutcome = { kind: 'error', code: 'stale', detail: `list age ${age}s > ${maxAgeSeconds}s` }
      const payer = check(context.payer)
      const payee = check(context.payee)
      if (age > maxAgeSeconds) {
        return { payer: payer.kind === 'hit' ? payer : stale, payee: payee.kind === 'hit' ? payee : stale, version }
      }
      return { payer, payee, version }
    },
  }
}
