import {
  type ExactAuthorization,
  encodeAggregate3,
  transferWithAuthorizationData,
  type VerifiedSignature,
} from '@tollgate/evm'
import type { Address } from 'viem'
import type { TransactionCall } from './signTransaction.ts'

export type SettlementGas = {
  /** `transferWithAuthorization` with an EOA signature. Default `150_000n`. */
  eoa?: bigint
  /** With an ERC-1271 wallet signature. Default `300_000n`. */
  erc1271?: bigint
  /** Multicall3 batch of the ERC-6492 wallet deployment and the transfer. Default `1_500_000n`. */
  erc6492?: bigint
}

/** Gas limits used when {@link SettlementGas} leaves one out. */
export const defaultSettlementGas = { eoa: 150_000n, erc1271: 300_000n, erc6492: 1_500_000n } as const

/** Gas a Multicall3 batch adds to its calls' limits. */
const batchOverheadGas = 40_000n

/** One payment to settle: what the transaction carries for it. */
export type Settlement = { asset: Address; authorization: ExactAuthorization; signature: VerifiedSignature }

export type SettlementCallOptions = { gas: Required<SettlementGas>; multicallAddress: Address }

/**
 * The transaction that settles `items`: `transferWithAuthorization` itself for one payment (the `v,r,s`
 * overload for 65-byte signatures, `bytes` otherwise; an undeployed ERC-6492 wallet deployed first,
 * atomically, in a Multicall3 batch), or a Multicall3 `aggregate3` of several EOA payments in which
 * each call may fail alone.
 */
export function settlementCall(
  items: readonly Settlement[],
  { gas, multicallAddress }: SettlementCallOptions,
): TransactionCall {
  if (items.length === 1) {
    const { asset, authorization, signature } = items[0] as Settlement
    const transfer = transferWithAuthorizationData(authorization, signature.signature)
    if (signature.kind !== 'erc6492') return { to: asset, data: transfer, gas: gas[signature.kind] }
    return {
      to: multicallAddress,
      data: encodeAggregate3([
        { target: signature.factory, allowFailure: true, callData: signature.factoryData },
        { target: asset, allowFailure: false, callData: transfer },
      ]),
      gas: gas.erc6492,
    }
  }
  return {
    to: multicallAddress,
    data: encodeAggregate3(
      items.map(({ asset, authorization, signature }) => ({
        target: asset,
        allowFailure: true,
        callData: transferWithAuthorizationData(authorization, signature.signature),
      })),
    ),
    gas: items.reduce((sum, { signature }) => sum + gas[signature.kind], batchOverheadGas),
  }
}
