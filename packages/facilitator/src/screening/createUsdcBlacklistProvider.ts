import type { ProviderOutcome, ScreeningProvider } from './types.ts'

const clear: ProviderOutcome = { kind: 'clear' }

/** The token's own blacklist (`isBlacklisted(from)`, `isBlacklisted(to)`), already in the verifier's batch. */
export function createUsdcBlacklistProvider({
  onError = 'block',
}: {
  onError?: 'block' | 'allow'
} = {}): ScreeningProvider {
  const outcome = (flag: boolean | undefined): ProviderOutcome =>
    flag === undefined
      ? { kind: 'error', code: 'bad_response', detail: 'isBlacklisted did not answer' }
      : flag
        ? { kind: 'hit' }
        : clear
  return {
    id: 'usdc_blacklist',
    floor: true,
    onError,
    screen(context, answers) {
      return {
        payer: outcome(answers.payerBlacklisted),
        payee: outcome(answers.payeeBlacklisted),
        version: { chainId: context.chainId, contract: context.asset, block: answers.block?.toString() ?? 'unknown' },
      }
    },
  }
}
