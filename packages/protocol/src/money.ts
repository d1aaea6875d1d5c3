import { X402Error } from './errors.ts'

const decimalPattern = /^\$?(0|[1-9][0-9]*)(?:\.([0-9]+))?$/
const atomicPattern = /^(?:0|[1-9][0-9]*)$/
const maxDigits = 78

function invalidAmount(message: string, input: unknown): X402Error {
  return new X402Error({ code: 'invalid_amount', message, details: [`Received: ${JSON.stringify(input)}`] })
}

export type ParseMoneyOptions = {
  /** Decimals of the asset (6 for USDC). */
  decimals: number
}

/**
 * Parses a human price in the asset's unit, such as `"$0.001"` or `"0.001"`, into atomic units.
 * Decimal-string arithmetic only: floats, signs, exponents, blanks and more fractional digits than
 * the asset has are rejected with an `invalid_amount` {@link X402Error}.
 *
 * @example
 * parseMoney('$0.001', { decimals: 6 }) // 1000n
 */
export function parseMoney(value: string, { decimals }: ParseMoneyOptions): bigint {
  if (typeof value !== 'string') {
    throw invalidAmount('A price must be a decimal string such as "$0.01", never a number.', value)
  }
  const match = decimalPattern.exec(value)
  if (!match || value.length > maxDigits) {
    throw invalidAmount(
      'A price must look like "$0.01" or "0.01": digits, one optional dot, no sign or exponent.',
      value,
    )
  }
  const whole = match[1] ?? '0'
  const fraction = match[2] ?? ''
  if (fraction.length > decimals) {
    throw invalidAmount(`A price has at most ${decimals} decimals for this asset.`, value)
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, '0') || '0')
}

/**
 * Parses an atomic amount as it travels on the wire (a decimal integer string) into a `bigint`.
 *
 * @example
 * parseAtomicAmount('10000') // 10000n
 */
export function parseAtomicAmount(value: string): bigint {
  if (typeof value !== 'string' || !atomicPattern.test(value) || value.length > maxDigits) {
    throw invalidAmount('An atomic amount must be a non-negative decimal integer string such as "10000".', value)
  }
  return BigInt(value)
}

/**
 * Formats atomic units as a decimal string in the asset's unit, without trailing zeros.
 *
 * @example
 * formatMoney(1500n, { decimals: 6 }) // '0.0015'
 */
export function formatMoney(amount: bigint, { decimals }: ParseMoneyOptions): string {
  const negative = amount < 0n
  const digits = (negative ? -amount : amount).toString().padStart(decimals + 1, '0')
  const whole = digits.slice(0, digits.length - decimals)
  const fraction = digits.slice(digits.length - decimals).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`
}
