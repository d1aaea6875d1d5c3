import * as z from 'zod'
import { jsonObjectSchema } from '../primitives.ts'
import { paymentRequirementsV1Schema, paymentRequirementsV2Schema } from './paymentRequirements.ts'

/** What a paid resource is, as carried in v2 quotes and payloads. */
export const resourceInfoSchema = z.looseObject({
  url: z.string().min(1),
  description: z.string().optional(),
  mimeType: z.string().optional(),
})
export type ResourceInfo = z.infer<typeof resourceInfoSchema>

/**
 * The v2 quote, carried base64-encoded in the `PAYMENT-REQUIRED` header of a 402.
 *
 * @see x402-specification-v2.md §5.2, transports-v2/http.md
 */
export const paymentRequiredV2Schema = z.looseObject({
  x402Version: z.literal(2),
  error: z.string().optional(),
  resource: resourceInfoSchema,
  accepts: z.array(paymentRequirementsV2Schema).min(1),
  extensions: jsonObjectSchema.optional(),
})
export type PaymentRequiredV2 = z.infer<typeof paymentRequiredV2Schema>

/**
 * The v1 quote, carried as the JSON body of a 402.
 *
 * @see x402-specification-v1.md §5.1.1
 */
export const paymentRequiredV1Schema = z.looseObject({
  x402Version: z.literal(1),
  error: z.string().optional(),
  accepts: z.array(paymentRequirementsV1Schema).min(1),
})
export type PaymentRequiredV1 = z.infer<typeof paymentRequiredV1Schema>
