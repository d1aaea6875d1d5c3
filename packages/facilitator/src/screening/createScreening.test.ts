import type { Call3Result } from '@tollgate/evm'
import type { Address, Hex } from 'viem'
import { expect, test } from 'vitest'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import { createAuditLog } from './createAuditLog.ts'
import { createDenyListProvider } from './createDenyListProvider.ts'
import { createOfacProvider } from './createOfacProvider.ts'
import { createOracleProvider } from './createOracleProvider.ts'
import { createScreening } from './createScreening.ts'
import { createUsdcBlacklistProvider } from './createUsdcBlacklistProvider.ts'
import { readAuditChain } from './readAuditChain.ts'
import { parseSanctionsArtifact, sanctionsArtifactFormat } from './sanctionsArtifact.ts'
import type { ScreenContext } from './types.ts'
import { verifyAuditChain } from './verifyAuditChain.ts'

const payer: Address = '0x00000000000000000000000000000000000000a1'
const payee: Address = '0x00000000000000000000000000000000000000b2'
const listedAddress: Address = '0x00000000000000000000000000000000000000c3'
const oracleAt: Address = '0x3a91a31cb3dc49b4db9ce721f50a9d076c8d739b'
const word = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`
const ok = (returnData: Hex): Call3Result => ({ success: true, returnData })
const now = () => 1_800_000_000n

const artifact = (checkedAt: string) =>
  JSON.stringify({
    format: sanctionsArtifactFormat,
    source: { publisher: 'OFAC', file: 'x', dateOfIssue: '2026-12-01', sha256: 'ab'.repeat(32), bytes: 1, checkedAt },
    generator: { name: 't', version: '0' },
    counts: { dcaValues: 1, evmAddresses: 1 },
    evm: [{ address: listedAddress, labels: ['ETH'], refs: ['27307'], programs: ['DPRK3'] }],
  })
const fresh = parseSanctionsArtifact(artifact(new Date(Number(now()) * 1000 - 3_600_000).toISOString()))
const stale = parseSanctionsArtifact(artifact(new Date(Number(now()) * 1000 - 49 * 3_600_000).toISOString()))
if (!fresh.ok || !stale.ok) throw new Error('fixture artifact')

const context = (overrides: Partial<ScreenContext> = {}): ScreenContext => ({
  phase: 'verify',
  network: 'eip155:8453',
  chainId: 8453,
  asset: '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913',
  payer,
  payee,
  amount: 1_000n,
  nonce: `0x${'11'.repeat(32)}`,
  ...overrides,
})

function setup({
  list = fresh,
  allow = [] as Address[],
  deny = [] as Address[],
  oracleOnError = 'block' as const,
} = {}) {
  const store = createMemoryStore()
  let current = list.ok ? list.list : undefined
  const screening = createScreening({
    providers: [
      createOfacProvider({ list: () => current, now, maxAgeSeconds: 48n * 3600n }),
      createUsdcBlacklistProvider(),
      createOracleProvider({ contracts: new Map([[8453, oracleAt]]), onError: oracleOnError }),
      createDenyListProvider({ addresses: deny }),
    ],
    audit: createAuditLog(store.audit, { now }),
    allow,
    now,
  })
  return {
    store,
    swap: (next: typeof current) => {
      current = next
    },
    /** One decision with the token's flags and the oracle's answers for payer and payee. */
    decide: (
      answers: { payer?: Call3Result; payee?: Call3Result; blacklisted?: [boolean, boolean] },
      ctx = context(),
    ) => {
      const hook = screening.hook(ctx)
      // getBlockNumber, then the oracle's two reads, in that order.
      expect(hook.reads.map((r) => r.callData.slice(0, 10))).toEqual(['0x42cbb15c', '0xdf592f7d', '0xdf592f7d'])
      expect(hook.reads[1]?.callData.endsWith(ctx.payer.slice(2))).toBe(true)
      expect(hook.reads[2]?.callData.endsWith(ctx.payee.slice(2))).toBe(true)
      const [payerBlacklisted, payeeBlacklisted] = answers.blacklisted ?? [false, false]
      return hook.decide({
        payerBlacklisted,
        payeeBlacklisted,
        paused: false,
        results: [ok(word(123)), answers.payer ?? ok(word(0)), answers.payee ?? ok(word(0))],
      })
    },
  }
}

test('default: all clear allows and writes one audit record naming every provider version', async () => {
  const { decide, store } = setup()
  expect(await decide({})).toBeUndefined()
  const [record] = await store.audit.read({ afterSeq: 0, limit: 10 })
  const body = JSON.parse(record?.body ?? '{}')
  expect(body).toMatchObject({ decision: 'allow', block: '123', payer, payee, amount: '1000' })
  expect(body.providers.map((p: { id: string }) => p.id)).toEqual([
    'ofac_sdn',
    'usdc_blacklist',
    'chainalysis_oracle',
    'denylist',
  ])
  expect(body.providers[0].version).toMatchObject({
    dateOfIssue: '2026-12-01',
    artifactSha256: fresh.ok && fresh.list.artifactSha256,
  })
  expect(body.providers[2].version).toEqual({ chainId: 8453, contract: oracleAt, block: '123' })
})

test('behavior: OFAC, USDC blacklist, oracle and deny-list hits block, with the party in the code', async () => {
  const { decide } = setup({ deny: [payee] })
  expect(await decide({}, context({ payer: listedAddress }))).toMatchObject({ code: 'compliance_blocked_payer' })
  expect(
    await decide({ blacklisted: [false, true] }, context({ payee: '0x00000000000000000000000000000000000000d4' })),
  ).toMatchObject({
    code: 'compliance_blocked_recipient',
  })
  expect(
    await decide({ payer: ok(word(1)) }, context({ payee: '0x00000000000000000000000000000000000000d4' })),
  ).toMatchObject({
    code: 'compliance_blocked_payer',
  })
  expect(await decide({})).toMatchObject({ code: 'compliance_blocked_recipient' })
})

test('behavior: only the exact encodings of false and true count for the oracle; anything else is an error', async () => {
  const { decide } = setup()
  for (const answer of [ok('0x'), ok(word(2)), ok(`${word(0)}00`), { success: false, returnData: '0x' as Hex }]) {
    expect(await decide({ payer: answer })).toMatchObject({ code: 'compliance_unavailable' })
  }
  const open = setup({ oracleOnError: 'allow' as never })
  expect(await open.decide({ payer: ok('0x') })).toBeUndefined()
  const [record] = await open.store.audit.read({ afterSeq: 0, limit: 1 })
  expect(JSON.parse(record?.body ?? '{}').decision).toBe('allow_degraded')
})

test('behavior: an allow entry clears an oracle hit, never an OFAC or USDC blacklist hit', async () => {
  const { decide } = setup({ allow: [payer, listedAddress] })
  expect(await decide({ payer: ok(word(1)) })).toBeUndefined()
  expect(await decide({ blacklisted: [true, false] })).toMatchObject({ code: 'compliance_blocked_payer' })
  expect(await decide({}, context({ payer: listedAddress }))).toMatchObject({ code: 'compliance_blocked_payer' })
})

test('behavior: no list or a stale one is unavailable, but a listed party on a stale list is still blocked', async () => {
  const none = setup()
  none.swap(undefined)
  expect(await none.decide({})).toMatchObject({ code: 'compliance_unavailable' })
  const old = setup({ list: stale })
  expect(await old.decide({})).toMatchObject({ code: 'compliance_unavailable' })
  expect(await old.decide({}, context({ payer: listedAddress }))).toMatchObject({ code: 'compliance_blocked_payer' })
  // The message names no list, provider or entity: only the audit reference.
  expect(await old.decide({})).toEqual({
    code: 'compliance_unavailable',
    message: expect.stringMatching(
      /^Compliance screening is unavailable; the payment was not accepted \(ref [0-9]+\)\.$/,
    ),
  })
  expect(await verifyAuditChain(readAuditChain(old.store.audit))).toMatchObject({ ok: true, count: 3 })
})

test('behavior: a malformed artifact is a reason, never a partial list', () => {
  expect(parseSanctionsArtifact('{')).toEqual({ ok: false, reason: 'not JSON' })
  const text = artifact('2026-12-01T00:00:00Z')
  expect(parseSanctionsArtifact(text.replace('ofac-sdn-evm/1', 'ofac-sdn-evm/2')).ok).toBe(false)
  expect(parseSanctionsArtifact(text.replace(listedAddress, listedAddress.toUpperCase().replace('0X', '0x'))).ok).toBe(
    false,
  )
  expect(parseSanctionsArtifact(text.replace('"evmAddresses":1', '"evmAddresses":2'))).toMatchObject({ ok: false })
})

test('behavior: a decision that cannot be audited is not taken (the hook throws; the caller declines)', async () => {
  const store = createMemoryStore()
  const broken = { ...store.audit, append: async () => Promise.reject(new Error('disk full')) }
  const screening = createScreening({
    providers: [createUsdcBlacklistProvider()],
    audit: createAuditLog(broken, { now }),
    now,
  })
  const hook = screening.hook(context())
  await expect(
    hook.decide({ payerBlacklisted: false, payeeBlacklisted: false, paused: false, results: [ok(word(1))] }),
  ).rejects.toThrow('disk full')
})
