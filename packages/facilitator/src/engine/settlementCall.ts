import { type SettlementPayment, settlementData } from '@tollgate/evm'
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

export type SettlementCallOptions = { gas: Required<SettlementGas>; multicallAddress: Address }

/**
 * The transaction that settles `items`: the call `@tollgate/evm` encodes for them (`settlementData`:
 * `transferWithAuthorization` itself for one payment, an undeployed ERC-6492 wallet deployed first in a
 * Multicall3 batch, or a Multicall3 `aggregate3` of several payments in which each call may fail alone),
 * with its gas limit: the payment's kind for one, their sum and the batch's overhead for several.
 */
export function settlementCall(
  items: readonly SettlementPayment[],
  { gas, multicallAddress }: SettlementCallOptions,
): TransactionCall {
  const { to, data } = settlementData(items, { multicallAddress })
  if (items.length === 1) return { to, data, gas: gas[(items[0] as SettlementPayment).signature.kind] }
  return { to, data, gas: items.reduce((sum, { signature }) => sum + gas[signature.kind], batchOverheadGas) }
}
