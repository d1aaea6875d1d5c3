import type { Facilitator } from '../createFacilitator.ts'
import { giveBack } from '../store/ledger.ts'
import { resettle } from './resettle.ts'

/** Rows looked at, at most. */
const limit = 10_000

/**
 * At the start of a node on a shared ledger: the rows its earlier process (the same node id) claimed
 * for settlement and left `settling` when it died are given back and settled again at once, instead
 * of waiting `staleSeconds` for the reconciler while the buyers' retries are answered
 * `settlement_pending`. A row left `settling` has nothing on chain (`submitted` is written before a
 * transaction is broadcast), so settling it again pays it once. Rows updated since `startedAt` are
 * this process's own. Answers how many were taken up; the settlements run on in the background.
 *
 * @example
 * import { resumeSettling } from './resumeSettling.ts'
 * await resumeSettling(facilitator, facilitator.now(), console.error)
 */
export async function resumeSettling(
  facilitator: Facilitator,
  startedAt: bigint,
  onError: (error: unknown) => void,
): Promise<number> {
  const owner = facilitator.nodeId
  if (owner === undefined) return 0
  const rows = await facilitator.store.list({ states: ['settling'], limit })
  let taken = 0
  await Promise.all(
    rows
      .filter((row) => row.claimedBy === owner && row.updatedAt <= startedAt && facilitator.networks.has(row.network))
      .map(async (row) => {
        const given = await giveBack(facilitator.store, row.id, ['settling'], { now: facilitator.now() })
        if (!given.ok) return
        taken++
        void resettle(facilitator, given.entry).catch(onError)
      }),
  )
  return taken
}
