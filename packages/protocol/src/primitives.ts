import * as z from 'zod'

/** An EVM address on the wire: `0x` and 40 hex digits, any case. */
export const addressSchema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address')
  .transform((value) => value as `0x${string}`)

/** Hex bytes on the wire: `0x` and an even number of hex digits. */
export const hexSchema = z
  .string()
  .regex(/^0x(?:[0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex bytes')
  .transform((value) => value as `0x${string}`)

/** A 32-byte hex value (EIP-3009 nonce). */
export const bytes32Schema = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex value')
  .transform((value) => value as `0x${string}`)

/** An unsigned integer in decimal, as every amount and timestamp travels (at most uint256). */
export const uintStringSchema = z
  .string()
  .refine(
    (value) => /^(?:0|[1-9][0-9]{0,77})$/.test(value) && BigInt(value) < 2n ** 256n,
    'expected a non-negative decimal integer string (at most uint256)',
  )

/** A CAIP-2 chain id such as `eip155:8453`. */
export const caip2Schema = z
  .string()
  .regex(/^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/, 'expected a CAIP-2 network id such as eip155:8453')
  .transform((value) => value as `${string}:${string}`)

/** Free-form JSON object (`extra`, `extensions`, `outputSchema`). */
export const jsonObjectSchema = z.record(z.string(), z.unknown())
