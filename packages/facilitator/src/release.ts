import { type ErrorCode, tollgateExtensions } from '@tollgate/protocol'
import type { Facilitator } from './createFacilitator.ts'
import { parseFacilitatorRequest } from './request/parseFacilitatorRequest.ts'
import { releaseReservation } from './store/ledger.ts'

/** The `/release` answer: whether a held reservation was given back. */
export type ReleaseResponse = { released: boolean }

/** What `POST /release` replies, as the facilitator's HTTP layer sends it. */
export type ReleaseReply =
  /** A well-formed request: answer HTTP 200 with `response`. */
  | { ok: true; response: ReleaseResponse }
  /** Malformed, or for a scheme/network we do not serve: answer HTTP 400 `{ error: code, message }`. */
  | { ok: false; code: ErrorCode; message: string }

/** The `/supported` extension that announces `POST /release`. */
export const releaseExtension = tollgateExtensions.release

/**
 * `POST /release` (Tollgate extension `tollgate-release`): the resource server did not use a payment
 * it verified (its handler failed), so what its request held is given back:
 *
 * - a reservation `/verify` took (`reserved -> released`), so the same payment can be verified and
 *   paid again at once instead of after the lease;
 * - the delivery of a settled payment (`deliveredTo` cleared), so a retry of the same payment is served
 *   instead of answered `payment_already_delivered`.
 *
 * Only the request that holds it may give it back: the body is the `/verify` body with the same
 * `tollgate.claim` (a secret the resource server drew for that buyer request). A copy of the payment
 * header, which anyone who saw the request holds, releases nothing; a body without a claim releases
 * nothing either. A payment being settled is never touched.
 *
 * @example
 * import { release } from '@tollgate/facilitator'
 * const result = await release(facilitator, await c.req.json())
 * return result.ok ? c.json(result.response) : c.json({ error: result.code, message: result.message }, 400)
 */
export async function release(facilitator: Facilitator, body: unknown): Promise<ReleaseReply> {
  const parsed = parseFacilitatorRequest(facilitator, body)
  if (!parsed.ok) return parsed
  const { request } = parsed
  const { claim } = request
  const entry = await facilitator.store.get(request.id)
  if (claim === undefined || entry?.payloadHash !== request.payloadHash) {
    return { ok: true, response: { released: false } }
  }
  const now = facilitator.now()
  if ((entry.state === 'settled' || entry.state === 'preconfirmed') && entry.deliveredTo === claim) {
    const given = await facilitator.store.swapDelivery(request.id, { expected: claim, next: undefined, now })
    return { ok: true, response: { released: given.ok } }
  }
  if (entry.state !== 'reserved' || entry.holder !== claim) return { ok: true, response: { released: false } }
  const moved = await releaseReservation(facilitator.store, request.id, { now })
  return { ok: true, response: { released: moved.ok } }
}
