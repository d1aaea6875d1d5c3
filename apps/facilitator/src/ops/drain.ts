import { systemClock } from '@tollgate/facilitator'
import type { Logger } from './logger.ts'
import { type NodeServer, openConnections } from './nodeServer.ts'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** What {@link drain} waits on. */
export type DrainParameters = {
  server: NodeServer
  /** What is still running: requests being served, settlements here, transactions unmined. */
  work: () => { active: number; inflight: number; unmined: number }
  /** Milliseconds from now. */
  timeoutMs: number
}

/**
 * Waits (bounded by `timeoutMs`) until nothing is served, settled or mined here, then lingers up to
 * 2 s while connections are open, so keep-alive clients are told to go away on a 503 with
 * `Connection: close` instead of finding their idle connection reset. `drained`: nothing was left.
 */
export async function drain(
  logger: Logger,
  { server, work, timeoutMs }: DrainParameters,
): Promise<{ drained: boolean }> {
  const deadline = systemClock() + timeoutMs
  const busy = () => Object.values(work()).some((n) => n > 0)
  logger.info(work(), 'shutdown: draining')
  while (systemClock() < deadline && busy()) await sleep(25)
  const drained = !busy()
  logger.info(
    { drained, ...work() },
    drained
      ? 'shutdown: drained, stopping'
      : 'shutdown: timed out; unmined settlements are journaled for the next start',
  )
  const lingerUntil = Math.min(deadline, systemClock() + 2_000)
  while (systemClock() < lingerUntil && (await openConnections(server)) > 0) await sleep(25)
  return { drained }
}
