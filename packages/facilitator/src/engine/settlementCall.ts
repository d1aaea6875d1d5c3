import { type ExactAuthorization, eip3009Abi, type VerifiedSignature } from '@tollgate/evm'
import { type Address, encodeFunctionData, type Hex, multicall3Abi } from 'viem'
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
 * `transferWithAuthorization` calldata, encoded by viem: the `(…, uint8 v, bytes32 r, bytes32 s)` overload
 * for a 65-byte signature (every FiatToken version has it), the `(…, bytes signature)` overload otherwise.
 * On the settlement path encoding speed buys nothing (each call waits for the chain), so no hand encoder.
 */
export function transferData(
  { from, to, value, validAfter, validBefore, nonce }: ExactAuthorization,
  signature: Hex,
): Hex {
  if (signature.length === 132) {
    const r = `0x${signature.slice(2, 66)}` as Hex
    const s = `0x${signature.slice(66, 130)}` as Hex
    const v = Number.parseInt(signature.slice(130, 132), 16)
    return encodeFunctionData({
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [from, to, value, validAfter, validBefore, nonce, v, r, s],
    })
  }
  return encodeFunctionData({
    abi: eip3009Abi,
    functionName: 'transferWithAuthorization',
    args: [from, to, value, validAfter, validBefore, nonce, signature],
  })
}

const aggregate3 = (calls: readonly { target: Address; allowFailure: boolean; callData: Hex }[]): Hex =>
  encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [calls] })

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
    const transfer = transferData(authorization, signature.signature)
    if (signature.kind !== 'erc6492') return { to: asset, data: transfer, gas: gas[signature.kind] }
    return {
      to: multicallAddress,
      data: aggregate3([
        { target: signature.factory, allowFailure: true, callData: signature.factoryData },
        { target: asset, allowFailure: false, callData: transfer },
      ]),
      gas: gas.erc6492,
    }
  }
  return {
    to: multicallAddress,
    data: aggregate3(
      items.map(({ asset, authorization, signature }) => ({
        target: asset,
        allowFailure: true,
        callData: transferData(authorization, signature.signature),
      })),
    ),
    gas: items.reduce((sum, { signature }) => sum + gas[signature.kind], batchOverheadGas),
  }
}
