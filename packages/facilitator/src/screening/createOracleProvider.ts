import type { Address, Hex } from 'viem'
import type { ProviderOutcome, ProviderReport, ScreenContext, ScreeningProvider } from './types.ts'

/** `isSanctioned(address)` of the Chainalysis oracle. */
export const isSanctionedSelector = 'df592f7d'
const word = (address: Address) => address.slice(2).toLowerCase().padStart(64, '0')

const clear: ProviderOutcome = { kind: 'clear' }

/**
 * The Chainalysis sanctions oracle: `isSanctioned(from)` and `isSanctioned(to)` at the configured contract of
 * the chain (Base: `0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B`), in the verifier's batch. Only the exact
 * 32-byte encodings of false and true count; anything else (no code, a revert) is an error. Not a floor: an
 * operator may allow-list an address the oracle flags (it is a third party's mirror, with lag).
 */
export function createOracleProvider({
  contracts,
  onError = 'block',
}: {
  contracts: ReadonlyMap<number, Address>
  onError?: 'block' | 'allow'
}): ScreeningProvider {
  const decode = (result: { success: boolean; returnData: Hex } | undefined): ProviderOutcome => {
    if (!result?.success) return { kind: 'error', code: 'rpc', detail: 'isSanctioned reverted or failed' }
    if (result.returnData === `0x${'0'.repeat(64)}`) return clear
    if (result.returnData === `0x${'0'.repeat(63)}1`) return { kind: 'hit' }
    return {
      kind: 'error',
      code: 'bad_response',
      detail: `isSanctioned answered ${result.returnData.length - 2} hex digits`,
    }
  }
  return {
    id: 'chainalysis_oracle',
    floor: false,
    onError,
    appliesTo: (context) => contracts.has(context.chainId),
    reads(context: ScreenContext) {
      const target = contracts.get(context.chainId) as Address
      return [
        { target, allowFailure: true, callData: `0x${isSanctionedSelector}${word(context.payer)}` },
        { target, allowFailure: true, callData: `0x${isSanctionedSelector}${word(context.payee)}` },
      ]
    },
    screen(context, answers): ProviderReport {
      return {
        payer: decode(answers.results[0]),
        payee: decode(answers.results[1]),
        version: {
          chainId: context.chainId,
          contract: (contracts.get(context.chainId) as Address).toLowerCase(),
          block: answers.block?.toString() ?? 'unknown',
        },
      }
    },
  }
}
