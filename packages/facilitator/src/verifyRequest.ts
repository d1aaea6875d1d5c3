import type { FacilitatorNetwork } from './createFacilitator.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'

/** Checks a parsed payment with its network's `exact` verifier, at the facilitator's `now` (internal). */
export function verifyRequest(now: bigint, request: ExactPaymentRequest): ReturnType<FacilitatorNetwork['verify']> {
  return request.chain.verify({
    authorization: request.authorization,
    signature: request.signature,
    requirements: request.requirements,
    now,
    x402Version: request.x402Version,
    ...(request.digest ? { digest: request.digest } : {}),
  })
}
