import type * as z from 'zod'
import { DecodeError } from '../errors.ts'
import { decodeBase64, encodeBase64 } from './base64.ts'

/** The longest header value {@link decodeHeader} reads by default: 16 KiB of base64. */
export const defaultMaxHeaderLength = 16_384

/**
 * Encodes a wire object as an x402 header value: standard base64 of its UTF-8 JSON.
 *
 * @example
 * c.header(headers.paymentRequired, encodeHeader(paymentRequired))
 */
export function encodeHeader(value: unknown): string {
  return encodeBase64(JSON.stringify(value))
}

export type DecodeHeaderOptions = {
  /** Longest accepted header value, in characters. Default {@link defaultMaxHeaderLength}. */
  maxLength?: number
}

/**
 * Decodes an x402 header value (base64 JSON) and parses it with `schema`.
 * Throws only {@link DecodeError}: `payload_too_large` past `maxLength`, `invalid_payload` for
 * anything that is not base64 of JSON matching the schema.
 *
 * @example
 * const payment = decodeHeader(paymentPayloadSchema, c.req.header(headers.paymentSignature))
 */
export function decodeHeader<S extends z.ZodType>(
  schema: S,
  value: string | null | undefined,
  { maxLength = defaultMaxHeaderLength }: DecodeHeaderOptions = {},
): z.output<S> {
  if (typeof value !== 'string' || value.length === 0) {
    throw new DecodeError({ code: 'invalid_payload', message: 'The header is empty.' })
  }
  if (value.length > maxLength) {
    throw new DecodeError({
      code: 'payload_too_large',
      message: `The header is ${value.length} characters long; the limit is ${maxLength}.`,
    })
  }
  const text = decodeBase64(value.trim())
  if (text === undefined) {
    throw new DecodeError({
      code: 'invalid_payload',
      message: 'The header is not standard base64 of UTF-8 text.',
    })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new DecodeError({ code: 'invalid_payload', message: 'The header is not base64 of JSON.', cause })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    throw new DecodeError({
      code: 'invalid_payload',
      message: 'The header does not match the x402 schema.',
      details: parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
      cause: parsed.error,
    })
  }
  return parsed.data
}
