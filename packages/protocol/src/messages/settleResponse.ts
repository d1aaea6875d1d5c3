import * as z from 'zod'
import { jsonObjectSchema } from '../primitives.ts'

/**
 * The answer of `POST /settle`, also carried base64-encoded in `PAYMENT-RESPONSE` (v2) and
 * `X-PAYMENT-RESPONSE` (v1). A failure still carries `transaction: ""` and `network`, or
 * `@x402/core` rejects it.
 *
 * @see x402-specification-v2.md §7.2
 */
export const settleResponseSchema = z.looseObject({
  success: z.boolean(),
  errorReason: z.string().nullish(),
  errorMessage: z.string().nullish(),
  payer: z.string().nullish(),
  transaction: z.string(),
  network: z.string(),
  amount: z.string().nullish(),
  extensions: jsonObjectSchema.nullish(),
  extra: jsonObjectSchema.nullish(),
})
export type SettleResponse = z.infer<typeof settleResponseSchema>
