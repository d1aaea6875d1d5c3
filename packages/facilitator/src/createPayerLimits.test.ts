import { describe, expect, test } from 'vitest'
import { createPayerLimits } from './createPayerLimits.ts'

const network = 'eip155:8453'
const alice = '0x00000000000000000000000000000000000a11ce'
const bob = '0x0000000000000000000000000000000000000b0b'

describe('createPayerLimits', () => {
  test('behavior: a cool-off lasts coolOffSeconds on the injected clock, per network and payer (any case)', () => {
    let now = 1_000n
    const limits = createPayerLimits({ now: () => now, coolOffSeconds: 60n })
    expect(limits.coolingOffUntil(network, alice)).toBeUndefined()
    limits.coolOff(network, alice)
    expect(limits.coolingOffUntil(network, alice.toUpperCase().replace('0X', '0x') as never)).toBe(1_060n)
    expect(limits.coolingOffUntil('eip155:84532', alice)).toBeUndefined()
    expect(limits.coolingOffUntil(network, bob)).toBeUndefined()
    now = 1_059n
    expect(limits.coolingOffUntil(network, alice)).toBe(1_060n)
    now = 1_060n
    expect(limits.coolingOffUntil(network, alice)).toBeUndefined()
  })

  test('behavior: coolOffSeconds 0 never cools off; the remembered payers are bounded', () => {
    const off = createPayerLimits({ now: () => 0n, coolOffSeconds: 0n })
    off.coolOff(network, alice)
    expect(off.coolingOffUntil(network, alice)).toBeUndefined()

    const small = createPayerLimits({ now: () => 0n, coolOffSeconds: 60n, maxTracked: 2 })
    small.coolOff(network, alice)
    small.coolOff(network, bob)
    small.coolOff(network, '0x0000000000000000000000000000000000000c0c')
    expect(small.coolingOffUntil(network, alice)).toBeUndefined() // the oldest, forgotten
    expect(small.coolingOffUntil(network, bob)).toBe(60n)
  })

  test('behavior: at most maxInFlight slots per payer; leaving frees one', () => {
    const limits = createPayerLimits({ now: () => 0n, maxInFlight: 2 })
    expect(limits.enter(network, alice)).toBe(true)
    expect(limits.enter(network, alice)).toBe(true)
    expect(limits.enter(network, alice)).toBe(false)
    expect(limits.enter(network, bob)).toBe(true)
    limits.leave(network, alice)
    expect(limits.inFlight(network, alice)).toBe(1)
    expect(limits.enter(network, alice)).toBe(true)
    limits.leave(network, bob)
    expect(limits.inFlight(network, bob)).toBe(0)
  })
})
