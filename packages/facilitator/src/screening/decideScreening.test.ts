import { expect, test } from 'vitest'
import { decideScreening } from './decideScreening.ts'
import type { ProviderOutcome, ProviderReport, ScreeningProvider } from './types.ts'

const payer = '0x00000000000000000000000000000000000000a1'
const payee = '0x00000000000000000000000000000000000000b2'
const clear: ProviderOutcome = { kind: 'clear' }
const hit: ProviderOutcome = { kind: 'hit' }
const error: ProviderOutcome = { kind: 'error', code: 'rpc' }

const provider = (id: string, floor: boolean, onError: 'block' | 'allow' = 'block'): ScreeningProvider => ({
  id,
  floor,
  onError,
  screen: () => ({ payer: clear, payee: clear, version: {} }),
})
const report = (p: ProviderOutcome, q: ProviderOutcome = clear): ProviderReport => ({ payer: p, payee: q, version: {} })
const ofac = provider('ofac_sdn', true)
const usdc = provider('usdc_blacklist', true)
const oracle = provider('chainalysis_oracle', false)
const oracleOpen = provider('chainalysis_oracle', false, 'allow')
const none = new Set<string>()

test('default: every provider clear allows', () => {
  const reports = [ofac, usdc, oracle].map((p) => ({ provider: p, report: report(clear) }))
  expect(decideScreening({ reports, payer, payee, allow: none })).toEqual({ decision: 'allow' })
})

test('behavior: any hit blocks, the payer first, then the payee', () => {
  expect(decideScreening({ reports: [{ provider: ofac, report: report(hit) }], payer, payee, allow: none })).toEqual({
    decision: 'block',
    code: 'compliance_blocked_payer',
  })
  expect(
    decideScreening({ reports: [{ provider: oracle, report: report(clear, hit) }], payer, payee, allow: none }),
  ).toEqual({ decision: 'block', code: 'compliance_blocked_recipient' })
  expect(
    decideScreening({
      reports: [
        { provider: usdc, report: report(clear, hit) },
        { provider: ofac, report: report(hit) },
      ],
      payer,
      payee,
      allow: none,
    }),
  ).toEqual({ decision: 'block', code: 'compliance_blocked_payer' })
})

test('behavior: a hit wins over an error elsewhere', () => {
  const reports = [
    { provider: oracle, report: report(error, error) },
    { provider: usdc, report: report(clear, hit) },
  ]
  expect(decideScreening({ reports, payer, payee, allow: none })).toEqual({
    decision: 'block',
    code: 'compliance_blocked_recipient',
  })
})

test('behavior: an error fails closed by default, and allows degraded when that provider is fail-open', () => {
  expect(
    decideScreening({ reports: [{ provider: oracle, report: report(error) }], payer, payee, allow: none }),
  ).toEqual({
    decision: 'block_unavailable',
    code: 'compliance_unavailable',
  })
  expect(
    decideScreening({ reports: [{ provider: oracleOpen, report: report(error) }], payer, payee, allow: none }),
  ).toEqual({ decision: 'allow_degraded' })
  // A fail-open error does not mask another provider's fail-closed error.
  expect(
    decideScreening({
      reports: [
        { provider: oracleOpen, report: report(error) },
        { provider: ofac, report: report(clear, { kind: 'error', code: 'stale' }) },
      ],
      payer,
      payee,
      allow: none,
    }),
  ).toEqual({ decision: 'block_unavailable', code: 'compliance_unavailable' })
})

test('behavior: an allow entry overrides a non-floor hit only, never OFAC, USDC or the deny list', () => {
  const allow = new Set([payer])
  expect(decideScreening({ reports: [{ provider: oracle, report: report(hit) }], payer, payee, allow })).toEqual({
    decision: 'allow',
  })
  for (const floor of [ofac, usdc, provider('denylist', true)]) {
    expect(decideScreening({ reports: [{ provider: floor, report: report(hit) }], payer, payee, allow })).toEqual({
      decision: 'block',
      code: 'compliance_blocked_payer',
    })
  }
  // The allow list is per address: it does not clear the payee.
  expect(decideScreening({ reports: [{ provider: oracle, report: report(hit, hit) }], payer, payee, allow })).toEqual({
    decision: 'block',
    code: 'compliance_blocked_recipient',
  })
})
