import * as z from 'zod'
import { caip2Schema, jsonObjectSchema, uintStringSchema } from '../primitives.ts'

/**
 * One offer in a v2 quote: what to pay, to whom, on which network.
 * Unknown keys are kept, so an echoed offer round-trips unchanged.
 *
 * @see x402-specification-v2.md §5.1 (PaymentRequirements)
 */
export const paymentRequirementsV2Schema = z.looseObject({
  scheme: z.string().min(1),
  network: caip2Schema,
  amount: uintStringSchema,
  asset: z.string().min(1),
  payTo: z.string().min(1),
  maxTimeoutSeconds: z.number().int().positive(),
  extra: jsonObjectSchema.optional(),
})
export type PaymentRequirementsV2 = z.infer<typeof paymentRequirementsV2Schema>

/**
 * One offer in a v1 quote (`accepts[]` of the 402 JSON body). Parsing is as lenient as
 * `@x402/core`'s v1 schema; what Tollgate emits also satisfies the strict legacy `x402@1` client
 * (`resource` a URL, `mimeType` a string, `outputSchema` absent rather than `null`).
 *
 * @see x402-specification-v1.md §5.1
 */
export const paymentRequirementsV1Schema = z.looseObject({
  scheme: z.string().min(1),
  network: z.string().min(1),
  maxAmountRequired: uintStringSchema,
  resource: z.string().min(1),
  description: z.string(),
  mimeType: z.string().optional(),
  outputSchema: jsonObjectSchema.nullish(),
  payTo: z.string().min(1),
  maxTimeoutSeconds: z.number().int().positive(),
  asset: z.string().min(1),
  extra: jsonObjectSchema.nullish(),
})
export type PaymentRequirementsV1 = z.infer<typeof paymentRequirementsV1Schema>
