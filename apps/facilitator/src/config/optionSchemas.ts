import type { Address } from 'viem'
import * as z from 'zod'

// The small zod parsers the configuration table is written with; each turns one variable's text into its value.

/** Comma-separated items, trimmed, empty ones dropped (an unset variable is an empty list). */
export const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')

/** An integer within bounds. */
export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `expected an integer from ${min} to ${max}`)

/** An amount in wei (a decimal integer of up to 30 digits). */
export const wei = (message: string) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]{1,30}$/, message)
    .transform((value) => BigInt(value))

/** A non-negative decimal number, kept as text. */
export const decimal = (example: string) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]+(?:\.[0-9]+)?$/, `expected a decimal such as ${example}`)

/** `description` for `--help`; `unset` says what an unset optional variable means. */
export type Help = { description: string; unset?: string; secret?: true }
/** One table row: the schema and its help. */
export const help = <S extends z.ZodType>(schema: S, meta: Help) => ({ schema, ...meta })

/** Comma-separated 0x addresses (an unset variable is an empty list). */
export const addressList = () =>
  z
    .string()
    .optional()
    .transform((value) => list(value))
    .refine((items) => items.every((item) => /^0x[0-9a-fA-F]{40}$/.test(item)), 'expected comma-separated 0x addresses')
    .transform((items) => items as Address[])
