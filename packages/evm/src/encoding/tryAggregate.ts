import { type Address, encodeFunctionData, type Hex, parseAbi } from 'viem'

/** Multicall3's `tryAggregate`: calls that each may fail alone (`requireSuccess` false). */
export const tryAggregateAbi = parseAbi([
  'function tryAggregate(bool requireSuccess, (address target, bytes callData)[] calls) payable returns ((bool success, bytes returnData)[] returnData)',
])

/**
 * Calldata of Multicall3 `tryAggregate(false, calls)`: each call may fail alone, as `aggregate3` with
 * `allowFailure` on every call, one word less per call (about 140 gas of calldata per payment of a
 * settlement batch).
 *
 * @example
 * import { encodeTryAggregate } from './tryAggregate.ts'
 * const data = encodeTryAggregate([{ target: usdc, callData: transfer }])
 */
export function encodeTryAggregate(calls: readonly { target: Address; callData: Hex }[]): Hex {
  return encodeFunctionData({ abi: tryAggregateAbi, functionName: 'tryAggregate', args: [false, calls] })
}
