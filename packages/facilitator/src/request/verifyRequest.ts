import type { FacilitatorNetwork } from '../createFacilitator.ts'
import type { Screening } from '../screening/createScreening.ts'
import type { ExactPaymentRequest } from './parseFacilitatorRequest.ts'

/**
 * Checks a parsed payment with its network's `exact` verifier, at the facilitator's `now`;
 * `asSent`: simulated as the settlement will be sent, whatever the payer; `screening` with `phase`: the
 * payer and payee are screened in the same batched read, and the decision is audited (internal).
 */
export function verifyRequest(
  now: bigint,
  request: ExactPaymentRequest,
  {
    asSent = false,
    screening,
    phase = 'verify',
  }: { asSent?: boolean; screening?: Screening | undefined; phase?: 'verify' | 'settle' } = {},
): ReturnType<FacilitatorNetwork['verify']> {
  const { authorization, requirements, chain } = request
  return chain.verify({
    authorization,
    signature: request.signature,
    requirements,
    now,
    x402Version: request.x402Version,
    ...(asSent ? { asSent } : {}),
    ...(request.digest ? { digest: request.digest } : {}),
    ...(screening
      ? {
          screen: screening.hook({
            phase,
            network: chain.network,
            chainId: chain.chainId,
            asset: requirements.asset.toLowerCase() as typeof requirements.asset,
            payer: authorization.from.toLowerCase() as typeof authorization.from,
            payee: authorization.to.toLowerCase() as typeof authorization.to,
            amount: authorization.value,
            nonce: authorization.nonce,
          }),
        }
      : {}),
  })
}
