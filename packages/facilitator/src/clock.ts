/**
 * The two times the engine reads, each passed in so tests can hold or move them:
 * - {@link Clock}: milliseconds on a monotonic clock, for timeouts, ages and leases inside one process;
 * - {@link Now}: whole seconds since the Unix epoch, the unit of the ledger and of EIP-3009 validity.
 */
export type Clock = () => number
export type Now = () => bigint

export const systemClock: Clock = () => performance.now()
export const systemNow: Now = () => BigInt(Math.floor(Date.now() / 1000))
