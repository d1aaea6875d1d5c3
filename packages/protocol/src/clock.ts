/**
 * The two times Tollgate's packages read, each passed in so tests can hold or move them:
 * - {@link Clock}: milliseconds on a monotonic clock, for timeouts, cache ages, cooldowns and
 *   leases inside one process;
 * - {@link Now}: whole seconds since the Unix epoch, as a bigint: the unit of the ledger, of
 *   EIP-3009 validity, and of receipts and signed offers (written as JSON numbers at the edge).
 */
export type Clock = () => number
export type Now = () => bigint

export const systemClock: Clock = () => performance.now()
export const systemNow: Now = () => BigInt(Math.floor(Date.now() / 1000))
