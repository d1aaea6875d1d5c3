import { describe, expect, test } from 'vitest'
import { compileDelivery, optimisticRequest } from './delivery.ts'

describe('delivery', () => {
  test('default: settled, and no optimistic request', () => {
    const compiled = compileDelivery('routes["GET /a"]', undefined, undefined, [6])
    expect(compiled).toEqual({ delivery: 'settled', optimistic: {} })
    expect(optimisticRequest(compiled, 1_000n, 6)).toBeUndefined()
  })

  test('behavior: optimistic asks with the bounds in atomic units; over the ceiling it is settled', () => {
    const compiled = compileDelivery(
      'routes["GET /a"]',
      'optimistic',
      { maxPrice: '$0.01', maxPerPayer: '$0.05', maxPerSeller: 2_000_000n },
      [6],
    )
    expect(optimisticRequest(compiled, 10_000n, 6)).toEqual({
      delivery: 'optimistic',
      exposure: { perPayer: '50000', perSeller: '2000000' },
    })
    expect(optimisticRequest(compiled, 10_001n, 6)).toBeUndefined()
    const unbounded = compileDelivery('routes["GET /a"]', 'optimistic', undefined, [6])
    expect(optimisticRequest(unbounded, 10n ** 12n, 6)).toEqual({ delivery: 'optimistic' })
  })

  test('behavior: bad options throw a ConfigError naming the field', () => {
    expect(() => compileDelivery('routes["GET /a"]', 'fast', undefined, [6])).toThrowErrorMatchingInlineSnapshot(`
      [ConfigError: paymentRequired: routes["GET /a"].delivery: must be "optimistic" or "settled"
      Received: "fast"]
    `)
    expect(() => compileDelivery('routes["GET /a"]', 'optimistic', 'cheap', [6])).toThrowError(
      /routes\["GET \/a"\]\.optimistic: must be \{ maxPrice\?, maxPerPayer\?, maxPerSeller\? \}/,
    )
    expect(() => compileDelivery('routes["GET /a"]', 'optimistic', { maxPrice: '$0.0000001' }, [6])).toThrowError(
      /routes\["GET \/a"\]\.optimistic\.maxPrice/,
    )
    expect(() => compileDelivery('routes["GET /a"]', 'optimistic', { maxPerPayer: 1.5 }, [6])).toThrowError(
      /routes\["GET \/a"\]\.optimistic\.maxPerPayer/,
    )
  })
})
