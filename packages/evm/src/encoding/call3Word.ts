import type { Call3Result } from './aggregate3.ts'

const zeroWord = `0x${'0'.repeat(64)}`

/** A call's 32-byte answer as a bigint (internal), or `undefined` if the call failed or returned something else. */
export const call3Word = (result: Call3Result | undefined): bigint | undefined =>
  result?.success && result.returnData.length === 66
    ? // Most answers (nonce unused, not paused, not blacklisted) are zero: no bigint parse for those.
      result.returnData === zeroWord
      ? 0n
      : BigInt(result.returnData)
    : undefined
