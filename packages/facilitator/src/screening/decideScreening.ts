import type { ErrorCode } from '@tollgate/protocol'
import type { Address } from 'viem'
import type { ProviderReport, ScreeningProvider, ScreeningRole } from './types.ts'

export type ScreeningDecision =
  | { decision: 'allow' | 'allow_degraded' }
  | {
      decision: 'block' | 'block_unavailable'
      code: Extract<ErrorCode, 'compliance_blocked_payer' | 'compliance_blocked_recipient' | 'compliance_unavailable'>
    }

export type DecideScreeningParameters = {
  reports: readonly { provider: ScreeningProvider; report: ProviderReport }[]
  /** The parties, lowercase. */
  payer: Address
  payee: Address
  /** Operator allow list (lowercase): overrides hits of non-floor providers only. */
  allow: ReadonlySet<string>
}

/**
 * The policy: any hit blocks (the payer's first, then the payee's), except a non-floor provider's hit on an
 * allow-listed address; otherwise an error of a fail-closed provider blocks as unavailable; otherwise errors
 * of fail-open providers allow, degraded. A hit always wins over an error.
 *
 * @example
 * decideScreening({ reports, payer, payee, allow: new Set() }) // { decision: 'block', code: 'compliance_blocked_payer' }
 */
export function decideScreening({ reports, payer, payee, allow }: DecideScreeningParameters): ScreeningDecision {
  const hit = (role: ScreeningRole, address: Address) =>
    reports.some(
      ({ provider, report }) => report[role].kind === 'hit' && (provider.floor || !allow.has(address.toLowerCase())),
    )
  if (hit('payer', payer)) return { decision: 'block', code: 'compliance_blocked_payer' }
  if (hit('payee', payee)) return { decision: 'block', code: 'compliance_blocked_recipient' }
  const errors = reports.filter(({ report }) => report.payer.kind === 'error' || report.payee.kind === 'error')
  if (errors.some(({ provider }) => provider.onError === 'block')) {
    return { decision: 'block_unavailable', code: 'compliance_unavailable' }
  }
  return { decision: errors.length > 0 ? 'allow_degraded' : 'allow' }
}
