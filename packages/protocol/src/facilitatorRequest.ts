import * as z from 'zod'
import { paymentPayloadV1Schema, paymentPayloadV2Schema } from './paymentPayload.ts'
import { paymentRequirementsV1Schema, paymentRequirementsV2Schema } from './paymentRequirements.ts'

/**
 * The `/supported` extensions of a Tollgate facilitator: `release` serves `POST /release`; `delivery`
 * binds reservations and the one delivery of a payment to the body's {@link tollgateRequestSchema} claim.
 */
export const tollgateExtensions = { release: 'tollgate-release', delivery: 'tollgate-delivery' } as const

/**
 * Tollgate's extension of a `/verify`, `/settle` or `/release` body (`tollgate-delivery` in
 * `/supported`): `claim` is a secret the resource server draws for one buyer request. The reservation
 * `/verify` takes and the one delivery a settled payment allows are bound to it, so only that request
 * may release the reservation or serve the content; a replayed payment header arrives with another claim.
 */
export const tollgateRequestSchema = z.object({
  claim: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'claim must be 16-128 base64url characters'),
  /**
   * The URL the resource server served (extension `offer-receipt`): the receipt's `resourceUrl`. Absent:
   * the payload's `resource.url` (v2) or the requirements' `resource` (v1).
   */
  resource: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  /** `0x` and the SHA-256 of the response body delivered (settle after the handler): bound in the receipt. */
  responseHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/, 'responseHash must be 0x and 64 lower-case hex digits')
    .optional(),
})
export type TollgateRequest = z.infer<typeof tollgateRequestSchema>

/** A v1 `/verify` or `/settle` body: v1 payload with v1 requirements. */
export const facilitatorRequestV1Schema = z.looseObject({
  x402Version: z.literal(1).optional(),
  paymentPayload: paymentPayloadV1Schema,
  paymentRequirements: paymentRequirementsV1Schema,
  tollgate: tollgateRequestSchema.optional(),
})

/** A v2 `/verify` or `/settle` body: v2 payload with v2 requirements. */
export const facilitatorRequestV2Schema = z.looseObject({
  x402Version: z.literal(2).optional(),
  paymentPayload: paymentPayloadV2Schema,
  paymentRequirements: paymentRequirementsV2Schema,
  tollgate: tollgateRequestSchema.optional(),
})

/**
 * The body of `POST /verify` and `POST /settle`. The top-level `x402Version` is optional (older
 * clients omit it); when present it must match the payload's.
 *
 * @see x402-specification-v2.md §7
 */
export const facilitatorRequestSchema = z.union([facilitatorRequestV1Schema, facilitatorRequestV2Schema])
export type FacilitatorRequest = z.infer<typeof facilitatorRequestSchema>
export type FacilitatorRequestV1 = z.infer<typeof facilitatorRequestV1Schema>
export type FacilitatorRequestV2 = z.infer<typeof facilitatorRequestV2Schema>
