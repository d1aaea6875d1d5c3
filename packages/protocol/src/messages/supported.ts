import * as z from 'zod'
import { jsonObjectSchema } from '../primitives.ts'

/** One `(x402Version, scheme, network)` a facilitator can verify and settle. */
export const supportedKindSchema = z.looseObject({
  x402Version: z.number().int().positive(),
  scheme: z.string().min(1),
  network: z.string().min(1),
  extra: jsonObjectSchema.optional(),
})
export type SupportedKind = z.infer<typeof supportedKindSchema>

/**
 * The answer of `GET /supported`. v1 facilitators send only `kinds`, so the others default.
 *
 * @see x402-specification-v2.md §7.3
 */
export const supportedResponseSchema = z.looseObject({
  kinds: z.array(supportedKindSchema),
  extensions: z.array(z.string()).default([]),
  signers: z.record(z.string(), z.array(z.string())).default({}),
})
export type SupportedResponse = z.infer<typeof supportedResponseSchema>
