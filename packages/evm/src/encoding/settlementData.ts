import type { Address, Hex } from 'viem'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import type { VerifiedSignature } from '../verify/checkWalletSignature.ts'
import { encodeAggregate3, multicall3Address } from './aggregate3.ts'
import { transferWithAuthorizationData } from './transferWithAuthorizationData.ts'
import { encodeTryAggregate } from './tryAggregate.ts'

/** One payment a settlement transaction carries: the asset, the authorization and its verified signature. */
export type SettlementPayment = { asset: Address; authorization: ExactAuthorization; signature: VerifiedSignature }

export type SettlementDataOptions = {
  /** Multicall3, through which a batch is sent and an undeployed ERC-6492 wallet deployed. Default {@link multicall3Address}. */
  multicallAddress?: Address
}

/** Where a settlement transaction goes and what it calls. */
export type SettlementDataReturnType = { to: Address; data: Hex }

/**
 * The call that settles `payments`: `transferWithAuthorization` on the asset for one payment (the
 * `v,r,s` overload for a 65-byte signature, `bytes` otherwise; an undeployed ERC-6492 wallet deployed
 * first, atomically, in a Multicall3 batch whose transfer may not fail), or a Multicall3
 * `tryAggregate(false, …)` of several payments in which each call may fail alone (as `aggregate3` with
 * `allowFailure` on every call, a word less per payment). The settlement a verifier simulates and the
 * one a settler sends are this one call.
 *
 * @example
 * import { settlementData } from '@tollgate/evm'
 * const { to, data } = settlementData([{ asset, authorization, signature: result.signature }])
 * @see x402-protocol reference §4.3 step 5
 */
export function settlementData(
  payments: readonly SettlementPayment[],
  { multicallAddress = multicall3Address }: SettlementDataOptions = {},
): SettlementDataReturnType {
  if (payments.length === 1) {
    const { asset, authorization, signature } = payments[0] as SettlementPayment
    const transfer = transferWithAuthorizationData(authorization, signature.signature)
    if (signature.kind !== 'erc6492') return { to: asset, data: transfer }
    return {
      to: multicallAddress,
      data: encodeAggregate3([
        { target: signature.factory, allowFailure: true, callData: signature.factoryData },
        { target: asset, allowFailure: false, callData: transfer },
      ]),
    }
  }
  return {
    to: multicallAddress,
    data: encodeTryAggregate(
      payments.map(({ asset, authorization, signature }) => ({
        target: asset,
        callData: transferWithAuthorizationData(authorization, signature.signature),
      })),
    ),
  }
}
