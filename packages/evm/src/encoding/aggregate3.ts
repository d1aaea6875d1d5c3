import type { Address, Hex } from 'viem'
import { addressWord, padRight, word } from './hex.ts'

/**
 * Multicall3's address, the same on every chain it is deployed to (Base included).
 *
 * @see https://github.com/mds1/multicall
 */
export const multicall3Address: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

/** One call in a Multicall3 `aggregate3` batch. */
export type Call3 = {
  target: Address
  /** When false, a revert of this call reverts the whole batch. */
  allowFailure: boolean
  callData: Hex
}

/** The outcome of one {@link Call3}: whether it succeeded and what it returned (or its revert data). */
export type Call3Result = { success: boolean; returnData: Hex }

/** The constant start of the calldata: selector, then the offset of the array (one word). */
const aggregate3Head = `0x82ad56cb${word(0x20)}`
const trueWord = word(1)
const falseWord = word(0)
/** Offset of `callData` within each `(address, bool, bytes)` tuple: after its three head words. */
const callDataOffsetWord = word(0x60)

/**
 * Calldata of Multicall3 `aggregate3((address,bool,bytes)[])`, hand-encoded (one string build, no
 * ABI walker): the verifier encodes one of these per batch on its hot path.
 *
 * @example
 * import { encodeAggregate3, multicall3Address } from '@tollgate/evm'
 * const data = encodeAggregate3([{ target: usdc, allowFailure: true, callData: '0x5c975abb' }])
 * @see https://github.com/mds1/multicall/blob/main/src/Multicall3.sol
 */
export function encodeAggregate3(calls: readonly Call3[]): Hex {
  // Each tuple is dynamic (it holds bytes): head = N offsets, then each tuple's encoding (address,
  // bool, offset and length words, then the data padded to whole words).
  let offsets = ''
  let tuples = ''
  let offset = calls.length * 32
  for (const call of calls) {
    const size = (call.callData.length - 2) / 2
    offsets += word(offset)
    tuples +=
      addressWord(call.target) +
      (call.allowFailure ? trueWord : falseWord) +
      callDataOffsetWord +
      word(size) +
      padRight(call.callData)
    offset += 128 + Math.ceil(size / 32) * 32
  }
  return `${aggregate3Head}${word(calls.length)}${offsets}${tuples}` as Hex
}

/** The 26 leading zero bytes of a word that holds an offset or a length. */
const highZeros = '0'.repeat(52)
const hexPattern = /^0x[0-9a-fA-F]*$/

/**
 * Decodes the return data of `aggregate3`: `(bool success, bytes returnData)[]`.
 * Returns `undefined` if the data is not a well-formed encoding (for example `0x` from an address
 * without code).
 *
 * @example
 * const results = decodeAggregate3Result(await client.request({ method: 'eth_call', params }))
 */
export function decodeAggregate3Result(data: Hex): Call3Result[] | undefined {
  // Read straight from the hex string (2 characters per byte after "0x"): no byte conversion of the
  // whole answer, which can be tens of kilobytes for a shared batch.
  if (!hexPattern.test(data) || data.length % 2 !== 0) return undefined
  const size = (data.length - 2) / 2
  if (size < 64) return undefined
  const readWord = (at: number): number | undefined => {
    if (at < 0 || at + 32 > size) return undefined
    const start = 2 + at * 2
    // Offsets and lengths fit easily in 48 bits; anything larger is malformed.
    if (data.slice(start, start + 52) !== highZeros) return undefined
    return Number.parseInt(data.slice(start + 52, start + 64), 16)
  }
  const arrayAt = readWord(0)
  if (arrayAt === undefined) return undefined
  const length = readWord(arrayAt)
  if (length === undefined || length > (size - arrayAt) / 32) return undefined
  const base = arrayAt + 32
  const results: Call3Result[] = []
  for (let i = 0; i < length; i++) {
    const tupleOffset = readWord(base + i * 32)
    if (tupleOffset === undefined) return undefined
    const tupleAt = base + tupleOffset
    const success = readWord(tupleAt)
    const dataOffset = readWord(tupleAt + 32)
    if (success === undefined || success > 1 || dataOffset === undefined) return undefined
    const dataAt = tupleAt + dataOffset
    const dataLength = readWord(dataAt)
    if (dataLength === undefined || dataAt + 32 + dataLength > size) return undefined
    results.push({
      success: success === 1,
      returnData: `0x${data.slice(2 + (dataAt + 32) * 2, 2 + (dataAt + 32 + dataLength) * 2)}` as Hex,
    })
  }
  return results
}
