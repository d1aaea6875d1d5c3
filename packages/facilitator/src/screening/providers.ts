import { multicall3Address } from '@tollgate/evm'
import type { Address, Hex } from 'viem'
import type { SanctionsList } from './sanctionsArtifact.ts'
import type { ProviderOutcome, ProviderReport, ScreenContext, ScreeningProvider } from './types.ts'

const clear: ProviderOutcome = { kind: 'clear' }
const word = (address: Address) => address.slice(2).toLowerCase().padStart(64, '0')

/** `isSanctioned(address)` (Chainalysis oracle), `getBlockNumber()` (Multicall3). */
export const isSanctionedSelector = 'df592f7d'
export const getBlockNumberData: Hex = '0x42cbb15c'
export { multicall3Address }

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

/** The operator's deny list (a floor: the allow list cannot override it). */
export function createDenyListProvider({ addresses }: { addresses: readonly Address[] }): ScreeningProvider {
  const denied = new Set(addresses.map((address) => address.toLowerCase()))
  const check = (address: Address): ProviderOutcome => (denied.has(address) ? { kind: 'hit' } : clear)
  return {
    id: 'denylist',
    floor: true,
    onError: 'block',
    screen: (context) => ({
      payer: check(context.payer),
      payee: check(context.payee),
      version: { count: denied.size },
    }),
  }
}
