import * as z from 'zod'
import { addressSchema, bytes32Schema, hexSchema, jsonObjectSchema, uintStringSchema } from '../primitives.ts'
import { resourceInfoSchema } from './paymentRequired.ts'
import { paymentRequirementsV2Schema } from './paymentRequirements.ts'

/**
 * A v1 payment, sent base64-encoded in the `X-PAYMENT` request header.
 *
 * @see x402-specification-v1.md §5.2
 */
export const paymentPayloadV1Schema = z.looseObject({
  x402Version: z.literal(1),
  scheme: z.string().min(1),
  network: z.string().min(1),
  payload: jsonObjectSchema,
})
export type PaymentPayloadV1 = z.infer<typeof paymentPayloadV1Schema>

/**
 * A v2 payment, sent base64-encoded in the `PAYMENT-SIGNATURE` request header. `accepted` echoes
 * the offer the client chose.
 *
 * @see x402-specification-v2.md §5.3
 */
export const paymentPayloadV2Schema = z.looseObject({
  x402Version: z.literal(2),
  resource: resourceInfoSchema.optional(),
  accepted: paymentRequirementsV2Schema,
  payload: jsonObjectSchema,
  extensions: jsonObjectSchema.optional(),
})
export type PaymentPayloadV2 = z.infer<typeof paymentPayloadV2Schema>

/** A payment of either protocol version, told apart by `x402Version`. */
export const paymentPayloadSchema = z.discriminatedUnion('x402Version', [
  paymentPayloadV1Schema,
  paymentPayloadV2Schema,
])
export type PaymentPayload = z.infer<typeof paymentPayloadSchema>

/**
 * The signed EIP-3009 `TransferWithAuthorization` message; every number a decimal string.
 *
 * @see scheme_exact_evm.md §1
 */
export const authorizationSchema = z.object({
  from: addressSchema,
  to: addressSchema,
  value: uintStringSchema,
  validAfter: uintStringSchema,
  validBefore: uintStringSchema,
  nonce: bytes32Schema,
})
export type Authorization = z.infer<typeof authorizationSchema>

/** The `payload` of an `exact` payment on EVM: a signature (65 bytes for EOAs) and the authorization. */
export const exactEvmPayloadSchema = z.object({
  signature: hexSchema.refine((value) => value.length > 2, 'signature is empty'),
  authorization: authorizationSchema,
})
export type ExactEvmPayload = z.infer<typeof exactEvmPayloadSchema>
