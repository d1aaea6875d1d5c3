import type { ErrorCode } from '@tollgate/protocol'
import type { Call3, Call3Result } from '../encoding/aggregate3.ts'

/**
 * What the verifier's one batched read answered that screening needs: the token's own `isBlacklisted(from)`,
 * `isBlacklisted(to)` and `paused()` (already in the batch), and the results of the hook's `reads`, in order.
 * A value is `undefined` when its call failed or answered something other than one 32-byte word.
 */
export type ScreenAnswers = {
  payerBlacklisted: boolean | undefined
  payeeBlacklisted: boolean | undefined
  paused: boolean | undefined
  results: readonly (Call3Result | undefined)[]
}

/** A screening verdict that declines the payment: its code (and an optional caller message). */
export type ScreenVerdict = { code: ErrorCode; message?: string }

/**
 * Compliance screening folded into the verification's one Multicall3 `eth_call` (no extra round trip):
 * `reads` are appended to the batch, and `decide` sees the answers once, after the signature, recipient,
 * amount and time checks and before balance, nonce and simulation (so a blacklisted party gets the
 * screening's code, not a simulation failure). `undefined`: the payment may go on.
 */
export type ScreenHook = {
  reads: readonly Call3[]
  decide(answers: ScreenAnswers): Promise<ScreenVerdict | undefined>
}
