import * as z from 'zod'
import { paymentPayloadV1Schema, paymentPayloadV2Schema } from './paymentPayload.ts'
import { paymentRequirementsV1Schema, paymentRequirementsV2Schema } from './paymentRequirements.ts'

/** A v1 `/verify` or `/settle` body: v1 payload with v1 requirements. */
export const facilitatorRequestV1Schema = z.looseObject({
  x402Version: z.literal(1).optional(),
  paymentPayload: paymentPayloadV1Schema,
  paymentRequirements: paymentRequirementsV1Schema,
})

/** A v2 `/verify` or `/settle` body: v2 payload with v2 requirements. */
export const facilitatorRequestV2Schema = z.looseObject({
  x402Version: z.literal(2).optional(),
  paymentPayload: paymentPayloadV2Schema,
  paymentRequirements: paymentRequirementsV2Schema,
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
