import type { Call3, ScreenHook } from '@tollgate/evm'
import type { Address } from 'viem'
import type { AuditLog } from './createAuditLog.ts'
import { decideScreening } from './decideScreening.ts'
import { getBlockNumberData, multicall3Address } from './multicallReads.ts'
import type { ProviderReport, ScreenContext, ScreeningProvider } from './types.ts'

/** Builds the screen hook of one payment decision; see {@link createScreening}. */
export type Screening = {
  hook(context: ScreenContext): ScreenHook
  readonly providers: readonly ScreeningProvider[]
}

export type CreateScreeningOptions = {
  providers: readonly ScreeningProvider[]
  /** Where every decision is recorded (awaited before the answer). */
  audit: AuditLog
  /** Operator allow list: overrides hits of non-floor providers (the oracle) only. */
  allow?: readonly Address[]
  /** Seconds since the epoch. */
  now: () => bigint
  /** Where `getBlockNumber()` is asked in the batch (the block every on-chain answer comes from). Default: Multicall3. */
  multicall?: Address
  /** Called with each decision (metrics). */
  onDecision?: (decision: string, phase: ScreenContext['phase']) => void
  /** Called with each provider error of a decision, by provider id and error code (metrics). */
  onProviderError?: (provider: string, code: string) => void
}

/**
 * Sanctions screening of the payer and the payee: each provider's reads go into the verification's one batched
 * `eth_call` (with the block number), and the policy ({@link decideScreening}) turns the providers' answers into a
 * decision, recorded in the audit trail before the payment goes on or is declined with a compliance code.
 * Public messages never name a list or an entity.
 *
 * @example
 * const screening = createScreening({ providers: [ofac, usdc, oracle], audit, now })
 * createFacilitator(deps, { screening })
 */
export function createScreening({
  providers,
  audit,
  allow = [],
  now,
  multicall = multicall3Address,
  onDecision,
  onProviderError,
}: CreateScreeningOptions): Screening {
  const allowed = new Set(allow.map((address) => address.toLowerCase()))
  return {
    providers,
    hook(context) {
      const active = providers.filter((provider) => provider.appliesTo?.(context) ?? true)
      const reads: Call3[] = [{ target: multicall, allowFailure: true, callData: getBlockNumberData }]
      const offsets = active.map((provider) => {
        const start = reads.length
        const own = provider.reads?.(context) ?? []
        reads.push(...own)
        return { start, end: reads.length }
      })
      return {
        reads,
        async decide(answers) {
          const blockResult = answers.results[0]
          const block =
            blockResult?.success && blockResult.returnData.length === 66 ? BigInt(blockResult.returnData) : undefined
          const reports: { provider: ScreeningProvider; report: ProviderReport }[] = active.map((provider, i) => {
            const { start, end } = offsets[i] as { start: number; end: number }
            return {
              provider,
              report: provider.screen(context, {
                payerBlacklisted: answers.payerBlacklisted,
                payeeBlacklisted: answers.payeeBlacklisted,
                block,
                results: answers.results.slice(start, end),
              }),
            }
          })
          const verdict = decideScreening({ reports, payer: context.payer, payee: context.payee, allow: allowed })
          const record = await audit.append({
            at: now(),
            phase: context.phase,
            network: context.network,
            asset: context.asset,
            payer: context.payer,
            payee: context.payee,
            amount: context.amount,
            nonce: context.nonce,
            block,
            decision: verdict.decision,
            ...('code' in verdict ? { code: verdict.code } : {}),
            allowListed: { payer: allowed.has(context.payer), payee: allowed.has(context.payee) },
            providers: reports.map(({ provider, report }) => ({
              id: provider.id,
              floor: provider.floor,
              onError: provider.onError,
              payer: report.payer,
              payee: report.payee,
              version: report.version,
            })),
          })
          onDecision?.(verdict.decision, context.phase)
          for (const { provider, report } of reports) {
            const failed =
              report.payer.kind === 'error' ? report.payer : report.payee.kind === 'error' ? report.payee : undefined
            if (failed) onProviderError?.(provider.id, failed.code)
          }
          if (!('code' in verdict)) return undefined
          // The reference lets an operator find the detail in the audit trail; it names no list or entity.
          const message =
            verdict.code === 'compliance_unavailable'
              ? `Compliance screening is unavailable; the payment was not accepted (ref ${record.seq}).`
              : `Payment declined by compliance screening (ref ${record.seq}).`
          return { code: verdict.code, message }
        },
      }
    },
  }
}
