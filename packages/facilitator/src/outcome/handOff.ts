import type { Facilitator, FacilitatorNetwork } from '../createFacilitator.ts'
import { requestSettlement } from '../store/ledger.ts'
import type { LedgerEntry } from '../store/ledgerStore.ts'
import { awaitOutcome } from './settlementOutcome.ts'

/**
 * Hands a verified, reserved payment over to the node of the shared ledger that holds a signer, when
 * this node cannot sign now: the row goes `reserved -> requested` (or is already requested), the
 * signing node's request taker claims and settles it, and this node answers from the ledger: it
 * waits (bounded by the settle wait) while the row is `requested` or `settling`, and a submitted
 * transaction's receipt like any other. Answers the row as it stands then; `reserved`: it came back
 * (the payment no longer verifies there), to be judged again here.
 *
 * @example
 * import { handOff } from './handOff.ts'
 * const entry = await handOff(facilitator, chain, request.id)
 */
export async function handOff(
  facilitator: Facilitator,
  chain: FacilitatorNetwork,
  id: string,
): Promise<LedgerEntry | undefined> {
  await requestSettlement(facilitator.store, id, { now: facilitator.now() })
  return awaitOutcome(facilitator, chain, id)
}
