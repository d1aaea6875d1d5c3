import type { ErrorCode } from '@tollgate/protocol'
import type { Facilitator } from './createFacilitator.ts'
import { parseFacilitatorRequest } from './parseFacilitatorRequest.ts'

/** The `/release` answer: whether a held reservation was given back. */
export type ReleaseResponse = { released: boolean }

export type ReleaseResult =
  /** A well-formed request: answer HTTP 200 with `response`. */
  | { ok: true; response: ReleaseResponse }
  /** Malformed, or for a scheme/network we do not serve: answer HTTP 400 `{ error: code, message }`. */
  | { ok: false; code: ErrorCode; message: string }

/** The `/supported` extension that announces `POST /release`. */
export const releaseExtension = 'tollgate-release'

/**
 * `POST /release` (Tollgate extension `tollgate-release`): the resource server did not use a payment
 * it verified (its handler failed), so the reservation `/verify` took is given back
 * (`reserved -> released`) and the same payment can be verified and paid again at once instead of
 * after the lease. Same body as `/verify`; only a reservation of that very authorization (same
 * payload hash) still `reserved` is released: a payment being settled or settled is never touched.
 *
 * @example
 * import { release } from '@tollgate/facilitator'
 * const result = await release(facilitator, await c.req.json())
 * return result.ok ? c.json(result.response) : c.json({ error: result.code, message: result.message }, 400)
 */
export async function release(facilitator: Facilitator, body: unknown): Promise<ReleaseResult> {
  const parsed = parseFacilitatorRequest(facilitator, body)
  if (!parsed.ok) return parsed
  const { request } = parsed
  const entry = await facilitator.store.get(request.id)
  if (entry?.state !== 'reserved' || entry.payloadHash !== request.payloadHash) {
    return { ok: true, response: { released: false } }
  }
  const moved = await facilitator.store.transition(request.id, {
    from: ['reserved'],
    to: 'released',
    patch: { reservedUntil: undefined },
    now: facilitator.now(),
  })
  return { ok: true, response: { released: moved.ok } }
}
