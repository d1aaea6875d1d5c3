import { describe, expect, test } from 'vitest'
import { X402Error } from './errors.ts'
import { formatMoney, parseAtomicAmount, parseMoney } from './money.ts'

const usdc = { decimals: 6 }

describe('parseMoney', () => {
  test('default', () => {
    expect(parseMoney('$0.001', usdc)).toBe(1000n)
    expect(parseMoney('0.001', usdc)).toBe(1000n)
    expect(parseMoney('$1', usdc)).toBe(1_000_000n)
    expect(parseMoney('12.5', usdc)).toBe(12_500_000n)
    expect(parseMoney('0', usdc)).toBe(0n)
    expect(parseMoney('0.000001', usdc)).toBe(1n)
    expect(parseMoney('123456789012345678901234567890', usdc)).toBe(123456789012345678901234567890_000000n)
  })

  test('behavior: every five-decimal price is exact (the legacy float bug)', () => {
    for (let i = 1; i < 100_000; i += 7) {
      const price = `0.${String(i).padStart(5, '0')}`
      expect(parseMoney(price, usdc)).toBe(BigInt(i) * 10n)
    }
    expect(parseMoney('$0.00051', usdc)).toBe(510n)
  })

  test.each([
    ['-1'],
    ['+1'],
    ['1e-3'],
    ['1E3'],
    ['0.0000001'],
    [''],
    ['$'],
    ['.5'],
    ['1.'],
    ['1.2.3'],
    [' 1'],
    ['1 '],
    ['0x10'],
    ['1,000'],
    ['$$1'],
    ['NaN'],
    ['Infinity'],
    ['01'],
  ])('behavior: rejects %j', (input) => {
    expect(() => parseMoney(input, usdc)).toThrowError(X402Error)
    try {
      parseMoney(input, usdc)
    } catch (error) {
      expect((error as X402Error).code).toBe('invalid_amount')
    }
  })

  test('behavior: rejects a float with a clear message', () => {
    expect(() => parseMoney(0.001 as unknown as string, usdc)).toThrowErrorMatchingInlineSnapshot(`
      [X402Error: A price must be a decimal string such as "$0.01", never a number.
      Received: 0.001]
    `)
  })

  test('behavior: too many decimals names the limit', () => {
    expect(() => parseMoney('$0.0000001', usdc)).toThrowErrorMatchingInlineSnapshot(`
      [X402Error: A price has at most 6 decimals for this asset.
      Received: "$0.0000001"]
    `)
  })
})

describe('parseAtomicAmount', () => {
  test('default', () => {
    expect(parseAtomicAmount('10000')).toBe(10000n)
    expect(parseAtomicAmount('0')).toBe(0n)
  })

  test.each([['1.5'], ['-1'], ['1e6'], [''], ['$1'], ['007'], ['9'.repeat(79)]])('behavior: rejects %j', (input) => {
    expect(() => parseAtomicAmount(input)).toThrowError(/atomic amount/)
  })
})

describe('formatMoney', () => {
  test('default', () => {
    expect(formatMoney(1500n, usdc)).toBe('0.0015')
    expect(formatMoney(1_000_000n, usdc)).toBe('1')
    expect(formatMoney(0n, usdc)).toBe('0')
    expect(formatMoney(1_000_000_000n, usdc)).toBe('1000')
  })

  test('behavior: round-trips with parseMoney', () => {
    for (const amount of [1n, 10n, 999_999n, 1_000_001n, 123_456_789n]) {
      expect(parseMoney(formatMoney(amount, usdc), usdc)).toBe(amount)
    }
  })
})
