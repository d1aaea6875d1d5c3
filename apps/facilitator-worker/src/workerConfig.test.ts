import { describe, expect, test } from 'vitest'
import { parseWorkerConfig, type WorkerEnv } from './workerConfig.ts'

const good: WorkerEnv = {
  TOLLGATE_NETWORK: 'eip155:8453',
  TOLLGATE_RPC_URL: 'https://rpc.example/v2/provider-secret',
  TOLLGATE_SIGNER_KEY: `0x${'ab'.repeat(32)}`,
  TOLLGATE_API_KEYS: `tg_${'0'.repeat(16)}_${'A'.repeat(43)}`,
}

describe('parseWorkerConfig', () => {
  test('default: the bindings give the config, defaults filled in', () => {
    const parsed = parseWorkerConfig(good)
    expect(parsed).toMatchObject({
      ok: true,
      config: { chainId: 8453, receiptTimeoutMs: 20_000, reconcileIntervalMs: 5_000, reconcileStaleSeconds: 60 },
    })
  })

  test('default: screening on, with the Chainalysis oracle on Base and none elsewhere; off only when asked', () => {
    const config = (env: WorkerEnv) => {
      const parsed = parseWorkerConfig(env)
      return parsed.ok ? parsed.config.screening : parsed.message
    }
    expect(config(good)).toEqual({ oracle: '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B' })
    expect(config({ ...good, TOLLGATE_NETWORK: 'eip155:84532' })).toEqual({ oracle: undefined })
    expect(config({ ...good, TOLLGATE_SCREENING_ORACLE: 'off' })).toEqual({ oracle: undefined })
    expect(config({ ...good, TOLLGATE_SCREENING: 'off' })).toBe('off')
    expect(config({ ...good, TOLLGATE_SCREENING: 'no' })).toBe('TOLLGATE_SCREENING must be on or off')
    expect(config({ ...good, TOLLGATE_SCREENING_ORACLE: '0x12' })).toContain('TOLLGATE_SCREENING_ORACLE')
  })

  test.each([
    ['TOLLGATE_SIGNER_KEY', `0x${'ab'.repeat(31)}zz`],
    ['TOLLGATE_RPC_URL', 'ws://rpc.example/provider-secret'],
    ['TOLLGATE_API_KEYS', 'tg_provider-secret'],
    ['TOLLGATE_RECEIPT_KEYS', '{"keys":[{"d":"provider-secret"}]}'],
    ['TOLLGATE_RECONCILE_STALE_SECONDS', '-1'],
  ])('edge: a bad %s is refused by name, its value never in the message', (name, value) => {
    const parsed = parseWorkerConfig({ ...good, [name]: value })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.message).toContain(name)
    expect(parsed.message).not.toContain(value)
    expect(parsed.message).not.toContain('provider-secret')
  })
})
