import type { Call3, Call3Result } from '@tollgate/evm'
import type { EvmNetwork } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'

/** The party a provider answers about: the payer (`authorization.from`) or the payee (`to`, which is `payTo`). */
export type ScreeningRole = 'payer' | 'payee'

/** One decision's facts: which payment, at which step. Addresses are lowercase. */
export type ScreenContext = {
  phase: 'verify' | 'settle'
  network: EvmNetwork
  chainId: number
  asset: Address
  payer: Address
  payee: Address
  amount: bigint
  nonce: Hex
}

/** A provider's answer about one party. */
export type ProviderOutcome =
  | { kind: 'clear' }
  | { kind: 'hit'; ref?: string }
  | { kind: 'error'; code: 'rpc' | 'bad_response' | 'stale' | 'not_loaded'; detail?: string }

/** A provider's answer about both parties, with the version of its data (goes into the audit record). */
export type ProviderReport = {
  payer: ProviderOutcome
  payee: ProviderOutcome
  version: Readonly<Record<string, string | number | boolean>>
}

/** What the batched read answered, for one provider: the token's flags, the block, and its own reads' results. */
export type ProviderAnswers = {
  payerBlacklisted: boolean | undefined
  payeeBlacklisted: boolean | undefined
  block: bigint | undefined
  results: readonly (Call3Result | undefined)[]
}

/**
 * A screening source. `floor`: an allow-list entry never overrides its hits (the OFAC list, the USDC
 * blacklist, the operator deny list). `onError`: what an error of this provider means (`block`: fail closed).
 */
export type ScreeningProvider = {
  readonly id: string
  readonly floor: boolean
  readonly onError: 'block' | 'allow'
  /** Whether it answers for this payment (the oracle: only on chains where one is configured). Default: always. */
  appliesTo?(context: ScreenContext): boolean
  /** Calls it adds to the verification's batched read. */
  reads?(context: ScreenContext): readonly Call3[]
  screen(context: ScreenContext, answers: ProviderAnswers): ProviderReport
}
