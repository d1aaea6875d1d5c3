import * as z from 'zod'
import { jsonObjectSchema } from '../primitives.ts'

/**
 * The answer of `POST /verify`. `invalidReason` is an open string on the wire (other facilitators
 * use codes we do not know); Tollgate sends codes from {@link errorCodeTable}.
 *
 * @see x402-specification-v2.md §7.1
 */
export const verifyResponseSchema = z.looseObject({
  isValid: z.boolean(),
  invalidReason: z.string().nullish(),
  invalidMessage: z.string().nullish(),
  payer: z.string().nullish(),
  extensions: jsonObjectSchema.nullish(),
  extra: jsonObjectSchema.nullish(),
})
export type VerifyResponse = z.infer<typeof verifyResponseSchema>
