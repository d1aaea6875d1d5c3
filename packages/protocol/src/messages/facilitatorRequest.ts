import * as z from 'zod'
import { uintStringSchema } from '../primitives.ts'
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
/** The URL schemes a resource server may name its resource with: web routes, and MCP tools (`mcp://tool/<name>`). */
/**
 * Whether `value` is a resource URL a resource server may assert in `tollgate.resource`: an absolute
 * `http(s)://` or `mcp://` URL of at most 2048 characters, without white space.
 */
export function isResourceUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048 || !/^(?:https?|mcp):\/\/\S+$/i.test(value)) return false
  return URL.canParse(value)
}

/** Largest `tollgate.discovery` accepted, in bytes of its JSON. */
export const maxDiscoveryBytes = 16_384

/**
 * What a resource server declares about a resource for discovery catalogues (the description and
 * `bazaar` extension of its own quote), sent beside `tollgate.resource` on `/settle`. Data only: a
 * facilitator stores it as given (bounded), never compiles or runs its schema.
 */
export const resourceDeclarationSchema = z
  .object({
    description: z.string().max(1024).optional(),
    mimeType: z.string().max(256).optional(),
    bazaar: z.record(z.string(), z.unknown()).optional(),
  })
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).length <= maxDiscoveryBytes, {
    message: `discovery must be at most ${maxDiscoveryBytes} bytes of JSON`,
  })
export type ResourceDeclaration = z.infer<typeof resourceDeclarationSchema>

export const tollgateRequestSchema = z.object({
  claim: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'claim must be 16-128 base64url characters'),
  /**
   * The resource the resource server served: the receipt's `resourceUrl`, and the URL a catalogue lists.
   * A route under the seller's configured public origin, or a tool (`mcp://tool/<name>`). The buyer's
   * echo (`paymentPayload.resource`) is never used in its place.
   */
  resource: z
    .string()
    .refine(isResourceUrl, 'resource must be an http(s) or mcp URL of at most 2048 characters')
    .optional(),
  /** `0x` and the SHA-256 of the response body delivered (settle after the handler): bound in the receipt. */
  responseHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/, 'responseHash must be 0x and 64 lower-case hex digits')
    .optional(),
  /** What the resource server declares about `resource` for discovery (see {@link resourceDeclarationSchema}). */
  discovery: resourceDeclarationSchema.optional(),
  /**
   * `'optimistic'` (on `/settle`): answer `success: true` once the settlement transaction is broadcast,
   * within the exposure limits, with `extensions["tollgate-delivery"].state: "pending"`; the settlement
   * finishes in the background. Default `'settled'`: answer once the receipt is seen.
   */
  delivery: z.enum(['optimistic', 'settled']).optional(),
  /**
   * The resource server's own bounds on its optimistic exposure, in the asset's atomic units: the most
   * unconfirmed optimistic amount of one payer, and owed to `payTo` in all. The facilitator's own
   * limits bound them.
   */
  exposure: z.object({ perPayer: uintStringSchema.optional(), perSeller: uintStringSchema.optional() }).optional(),
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
