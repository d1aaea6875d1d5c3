/**
 * The two times the middleware's helpers read, each passed in so tests can hold or move them:
 * - {@link Clock}: milliseconds on a monotonic clock, for cache ages and cooldowns inside one process;
 * - {@link Now}: whole seconds since the Unix epoch, as receipts and signed offers carry them (JSON
 *   numbers: `issuedAt`, `validUntil`).
 */
export type Clock = () => number
export type Now = () => number

export const systemClock: Clock = () => performance.now()
export const systemNow: Now = () => Math.floor(Date.now() / 1000)
