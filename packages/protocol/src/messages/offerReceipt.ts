import * as z from 'zod'

/**
 * The x402 `offer-receipt` extension (specs/extensions/extension-offer-and-receipt.md, v1.0, as
 * `@x402/extensions` 2.27 implements it): signed offers in a 402's `extensions["offer-receipt"].info.offers`,
 * a signed receipt in a settle response's `extensions["offer-receipt"].info.receipt`. Tollgate signs
 * both as JWS (compact serialization, header `{ alg, kid }`, payload the JCS-canonical JSON of the claims).
 */
export const offerReceiptExtension = 'offer-receipt'

/** The payload schema version of offers and receipts (spec §4.2, §5.2). */
export const offerReceiptVersion = 1

/** A signed receipt or offer in JWS format: `signature` is the compact JWS (the payload is inside it). */
export const jwsArtifactSchema = z.object({
  format: z.literal('jws'),
  signature: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'expected a compact JWS'),
})
export type SignedReceipt = z.infer<typeof jwsArtifactSchema>

/** A signed offer (JWS), with its unsigned `acceptIndex` hint into `accepts[]` (spec §4.1.1). */
export type SignedOffer = SignedReceipt & { acceptIndex?: number }

const decimal = z.string().regex(/^(?:0|[1-9][0-9]{0,77})$/, 'expected a decimal integer string')

/**
 * The claims of a Tollgate receipt. The spec's fields (`version`, `network`, `resourceUrl`, `payer`,
 * `issuedAt`, `transaction`) come first; Tollgate adds the rest, so that one signature binds what was
 * asked, paid and delivered: the receipt id (for `GET /receipts/:id`), payee, asset, amount (atomic
 * units, decimal string), the block the transfer landed in (decimal string), and on routes that settle
 * after the handler, `responseHash`: `0x` and the SHA-256 of the response body as delivered.
 */
export const receiptClaimsSchema = z.looseObject({
  version: z.literal(offerReceiptVersion),
  network: z.string().min(1),
  resourceUrl: z.string().min(1),
  payer: z.string().min(1),
  issuedAt: z.number().int().nonnegative(),
  transaction: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  receiptId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  payTo: z.string().min(1),
  asset: z.string().min(1),
  amount: decimal,
  blockNumber: decimal,
  responseHash: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .optional(),
})
export type ReceiptClaims = z.infer<typeof receiptClaimsSchema>

/** The claims of a signed offer (spec §4.2). */
export type OfferClaims = {
  version: typeof offerReceiptVersion
  resourceUrl: string
  scheme: string
  network: string
  asset: string
  payTo: string
  amount: string
  validUntil: number
}

/** The JSON Schema the official extension sends beside a receipt (its `RECEIPT_SCHEMA`). */
export const receiptInfoSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    receipt: {
      type: 'object',
      properties: { format: { type: 'string' }, signature: { type: 'string' } },
      required: ['format', 'signature'],
    },
  },
  required: ['receipt'],
} as const

/** The JSON Schema the official extension sends beside offers (its `OFFER_SCHEMA`, JWS items). */
export const offerInfoSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    offers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { format: { type: 'string' }, acceptIndex: { type: 'integer' }, signature: { type: 'string' } },
        required: ['format', 'signature'],
      },
    },
  },
  required: ['offers'],
} as const

/**
 * JCS (RFC 8785) for the flat JSON of offers and receipts: keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as `JSON.stringify` writes them (which is what JCS specifies for
 * them). Nested objects and arrays are canonicalized too; `undefined` members are left out.
 *
 * @example
 * canonicalJson({ b: 1, a: 'x' }) // '{"a":"x","b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: not a finite number')
    return JSON.stringify(value) ?? 'null'
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`
}

/**
 * The signed receipt in a settle response (`PAYMENT-RESPONSE` decoded), or `undefined` when it
 * carries none (a pending or failed settlement, a facilitator that does not sign).
 */
export function receiptOf(response: {
  extensions?: Record<string, unknown> | null | undefined
}): SignedReceipt | undefined {
  const extension = response.extensions?.[offerReceiptExtension] as { info?: { receipt?: unknown } } | undefined
  const parsed = jwsArtifactSchema.safeParse(extension?.info?.receipt)
  return parsed.success ? parsed.data : undefined
}

/** The receipt id a settle response names (`extensions["offer-receipt"].info.receiptId`, also while pending). */
export function receiptIdOf(response: { extensions?: Record<string, unknown> | null | undefined }): string | undefined {
  const extension = response.extensions?.[offerReceiptExtension] as { info?: { receiptId?: unknown } } | undefined
  const id = extension?.info?.receiptId
  return typeof id === 'string' && /^[A-Za-z0-9_-]{16,64}$/.test(id) ? id : undefined
}
