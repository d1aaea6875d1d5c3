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

  test('behavior: at most maxInFlight slots per payer at once; leaving frees one', async () => {
    const limits = createPayerLimits({ now: () => 0n, maxInFlight: 2, maxQueued: 0 })
    const a1 = await limits.acquire(network, alice)
    const a2 = await limits.acquire(network, alice)
    expect([a1.ok, a2.ok]).toEqual([true, true])
    expect(await limits.acquire(network, alice)).toEqual({ ok: false, reason: 'queue_full' })
    const b1 = await limits.acquire(network, bob)
    expect(b1).toMatchObject({ ok: true, waited: false })
    if (!a1.ok || !b1.ok) throw new Error('no slot')
    a1.leave()
    a1.leave() // idempotent
    expect(limits.inFlight(network, alice)).toBe(1)
    expect(await limits.acquire(network, alice)).toMatchObject({ ok: true })
    b1.leave()
    expect(limits.inFlight(network, bob)).toBe(0)
  })
})

/** Timers on a clock the test moves: `advance(ms)` fires every timer due by then, in order. */
function manualTimers() {
  let at = 0
  const due: { at: number; fire: () => void; cancelled: boolean }[] = []
  return {
    timer: (ms: number, fire: () => void) => {
      const entry = { at: at + ms, fire, cancelled: false }
      due.push(entry)
      return () => {
        entry.cancelled = true
      }
    },
    advance(ms: number) {
      at += ms
      for (const entry of due.filter((item) => item.at <= at && !item.cancelled).sort((a, b) => a.at - b.at)) {
        entry.cancelled = true
        entry.fire()
      }
    },
    pending: () => due.filter((entry) => !entry.cancelled).length,
  }
}

const settled = async <T>(promise: Promise<T>) => {
  let value: T | undefined
  void promise.then((v) => {
    value = v
  })
  await new Promise((resolve) => setTimeout(resolve, 0))
  return value
}

describe('createPayerLimits: the queue past maxInFlight', () => {
  test('default: a settlement past the cap waits, and takes the first slot given back (first in, first out)', async () => {
    const clock = manualTimers()
    const limits = createPayerLimits({ now: () => 0n, maxInFlight: 1, timer: clock.timer })
    const first = await limits.acquire(network, alice)
    const second = limits.acquire(network, alice)
    const third = limits.acquire(network, alice)
    expect(limits.waiting(network, alice)).toBe(2)
    expect(await settled(second)).toBeUndefined()
    // Another payer is not held up by alice's queue.
    expect(await limits.acquire(network, bob)).toMatchObject({ ok: true, waited: false })
    if (!first.ok) throw new Error('no slot')
    first.leave()
    const granted = await second
    expect(granted).toMatchObject({ ok: true, waited: true })
    expect(await settled(third)).toBeUndefined()
    expect(limits.inFlight(network, alice)).toBe(1) // handed over, not freed
    if (!granted.ok) throw new Error('no slot')
    granted.leave()
    const last = await third
    if (!last.ok) throw new Error('no slot')
    last.leave()
    expect([limits.inFlight(network, alice), limits.waiting(network, alice), clock.pending()]).toEqual([0, 0, 0])
  })

  test('behavior: bounded in time: past maxWaitMs on the injected timer the wait is refused (timeout)', async () => {
    const clock = manualTimers()
    const limits = createPayerLimits({ now: () => 0n, maxInFlight: 1, maxWaitMs: 1_000, timer: clock.timer })
    const held = await limits.acquire(network, alice)
    const waiting = limits.acquire(network, alice)
    clock.advance(999)
    expect(await settled(waiting)).toBeUndefined()
    clock.advance(1)
    expect(await waiting).toEqual({ ok: false, reason: 'timeout' })
    expect(limits.waiting(network, alice)).toBe(0)
    // The slot given back later is freed, not handed to the one that gave up.
    if (!held.ok) throw new Error('no slot')
    held.leave()
    expect(limits.inFlight(network, alice)).toBe(0)
    expect(await limits.acquire(network, alice)).toMatchObject({ ok: true, waited: false })
  })

  test('behavior: bounded in size, per payer and on the node: one more is refused at once (queue_full)', async () => {
    const clock = manualTimers()
    const limits = createPayerLimits({
      now: () => 0n,
      maxInFlight: 1,
      maxQueued: 2,
      maxQueuedTotal: 3,
      timer: clock.timer,
    })
    await limits.acquire(network, alice)
    const queued = [limits.acquire(network, alice), limits.acquire(network, alice)]
    expect(await limits.acquire(network, alice)).toEqual({ ok: false, reason: 'queue_full' })
    await limits.acquire(network, bob)
    const bobQueued = limits.acquire(network, bob)
    // The node's bound: three wait already (two of alice, one of bob).
    expect(await limits.acquire(network, bob)).toEqual({ ok: false, reason: 'queue_full' })
    expect(await limits.acquire(network, '0x0000000000000000000000000000000000000c0c')).toMatchObject({ ok: true })
    clock.advance(15_000) // the default wait
    expect(await Promise.all([...queued, bobQueued])).toEqual([
      { ok: false, reason: 'timeout' },
      { ok: false, reason: 'timeout' },
      { ok: false, reason: 'timeout' },
    ])
  })
})
