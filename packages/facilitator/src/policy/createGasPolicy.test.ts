import { describe, expect, it } from 'vitest'
import { createGasPolicy } from './createGasPolicy.ts'

describe('createGasPolicy', () => {
  const policy = createGasPolicy({ ethPrice: '3000', maxShare: '0.5' })

  it('accepts a payment worth its gas', () => {
    // 150k gas at 1 gwei = 1.5e14 wei = 0.45 USD = 450_000 atomic; half of 1 USDC is 500_000.
    expect(policy({ amount: 1_000_000n, decimals: 6, gas: 150_000n, maxFeePerGas: 10n ** 9n })).toEqual({ ok: true })
  })

  it('refuses one whose gas exceeds the share, with amount_too_low', () => {
    const result = policy({ amount: 899_999n, decimals: 6, gas: 150_000n, maxFeePerGas: 10n ** 9n })
    expect(result).toMatchObject({ ok: false, code: 'amount_too_low' })
    expect(result.ok ? '' : result.message).toContain('450000 atomic units')
  })

  it('is exact at the boundary (no floats)', () => {
    expect(policy({ amount: 900_000n, decimals: 6, gas: 150_000n, maxFeePerGas: 10n ** 9n }).ok).toBe(true)
    const precise = createGasPolicy({ ethPrice: '3000.125', maxShare: '0.333' })
    // cost = 1e14 wei × 3000.125 = 0.3000125 USD = 300_012 atomic (300_012.5); 0.333 × 901_000 = 300_033.
    expect(precise({ amount: 901_000n, decimals: 6, gas: 100_000n, maxFeePerGas: 10n ** 9n }).ok).toBe(true)
    expect(precise({ amount: 900_000n, decimals: 6, gas: 100_000n, maxFeePerGas: 10n ** 9n }).ok).toBe(false)
  })

  it('rejects malformed decimals at construction', () => {
    expect(() => createGasPolicy({ ethPrice: '3e3', maxShare: '0.5' })).toThrow(/ethPrice/)
    expect(() => createGasPolicy({ ethPrice: '3000', maxShare: '-1' })).toThrow(/maxShare/)
  })
})
