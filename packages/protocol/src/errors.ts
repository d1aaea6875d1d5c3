import type { ErrorCode } from './errorCode.ts'

/** Codes of thrown faults: every wire code, plus `invalid_config` for misconfiguration. */
export type X402ErrorCode = ErrorCode | 'invalid_config'

export type X402ErrorParameters = {
  code: X402ErrorCode
  /** One short sentence. */
  message: string
  /** Extra lines for the reader (what to check, what was received). */
  details?: readonly string[]
  cause?: unknown
}

/**
 * The base of every error Tollgate throws. Callers branch on `code` (stable) rather than on the
 * message (for people). Expected outcomes, such as an invalid signature, are returned as values,
 * not thrown.
 *
 * @example
 * try { decodeHeader(paymentPayloadSchema, header) }
 * catch (error) { if (error instanceof X402Error && error.code === 'invalid_payload') … }
 */
export class X402Error extends Error {
  override name = 'X402Error'
  readonly code: X402ErrorCode
  readonly shortMessage: string
  readonly details: readonly string[]

  constructor({ code, message, details = [], cause }: X402ErrorParameters) {
    super([message, ...details].join('\n'), cause === undefined ? undefined : { cause })
    this.code = code
    this.shortMessage = message
    this.details = details
  }
}

/** Thrown at construction or startup when configuration is wrong; the message names the field. */
export class ConfigError extends X402Error {
  override name = 'ConfigError'

  constructor({ message, details, cause }: Omit<X402ErrorParameters, 'code'>) {
    super({ code: 'invalid_config', message, ...(details ? { details } : {}), cause })
  }
}

/** Thrown when an x402 header or body cannot be decoded; `code` says why. */
export class DecodeError extends X402Error {
  override name = 'DecodeError'
}

/** True for any Tollgate error, across package copies (duck-typed on `code`). */
export function isX402Error(value: unknown): value is X402Error {
  return (
    value instanceof X402Error ||
    (value instanceof Error && typeof (value as { code?: unknown }).code === 'string' && 'shortMessage' in value)
  )
}
