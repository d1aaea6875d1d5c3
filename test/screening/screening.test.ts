/**
 * Sanctions screening end to end (issue 12): a real anvil (our EIP-3009 token at the USDC address, our
 * `SanctionsOracle` at the Base oracle address), the real service over HTTP with TOLLGATE_SCREENING=on and an
 * OFAC artifact on disk, the real @tollgate/hono middleware paid by the official x402 client. RPC requests are
 * counted by a proxy in front of anvil.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { serve } from '@hono/node-server'
import { readAuditChain, verifyAuditChain } from '@tollgate/facilitator'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { decodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Hono } from 'hono'
import type { Address, Hex, LocalAccount } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { sanctionsOracle, testUsdc } from '../chain/contracts/artifacts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { artifactOf, writeArtifact } from './artifact.ts'
import { type RpcCounter, startRpcCounter } from './rpcCounter.ts'
import { paymentBody } from './verifyBody.ts'

const oracle: Address = '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B'
const dir = mkdtempSync(join(tmpdir(), 'tollgate-screening-'))
const listPath = join(dir, 'ofac-sdn-evm.json')
let chain: LocalChain
let rpc: RpcCounter
let running: RunningFacilitator
let seller: ReturnType<typeof serve> | undefined
let sellerUrl: string
let logged = ''
const capture = new Writable({
  write(chunk, _encoding, done) {
    logged += String(chunk)
    done()
  },
})

// Parties: each test takes its own payer, so reservations and lists do not cross.
let payers: LocalAccount[]
const listedPayer = () => payers[0] as LocalAccount
const listedPayee: Address = '0x00000000000000000000000000000000000bad01'
/** The addresses the current artifact lists. */
let listed: Address[] = []

function env(extra: Record<string, string> = {}) {
  return {
    TOLLGATE_PORT: '0',
    TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
    TOLLGATE_RPC_URL_8453: rpc.url,
    TOLLGATE_POLLING_INTERVAL_MS: '20',
    TOLLGATE_RECONCILE_INTERVAL_MS: '0',
    TOLLGATE_METRICS_PORT: '0',
    // Not what this suite tests: no API keys, no rate limit.
    TOLLGATE_AUTH: 'off',
    TOLLGATE_RATE_LIMIT_PER_MINUTE: '0',
    TOLLGATE_SCREENING: 'on',
    TOLLGATE_SANCTIONS_LIST: listPath,
    TOLLGATE_SANCTIONS_MAX_AGE_HOURS: '48',
    TOLLGATE_SCREENING_ORACLES: `eip155:8453=${oracle}`,
    ...extra,
  }
}

beforeAll(async () => {
  chain = await startLocalChain()
  payers = [...chain.accounts.payers]
  // Our oracle, with the Chainalysis interface, where the real one is on Base.
  await chain.testClient.setCode({ address: oracle, bytecode: sanctionsOracle.deployedBytecode })
  rpc = await startRpcCounter(chain.url)
  listed = [listedPayer().address, listedPayee]
  writeArtifact(listPath, artifactOf(listed))
  running = await startFacilitator(env({ TOLLGATE_DATA_DIR: join(dir, 'main') }), { logDestination: capture })
  const app = new Hono()
  app.use(
    paymentRequired({
      facilitator: httpFacilitator({ url: running.url }),
      routes: {
        'GET /paid': { accepts: { network: chain.network, price: '$0.001', payTo: chain.accounts.seller.address } },
      },
    }),
  )
  app.get('/paid', (c) => c.json({ paid: true }))
  sellerUrl = await new Promise<string>((resolve) => {
    seller = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve(`http://127.0.0.1:${info.port}`),
    )
  })
}, 60_000)
afterAll(async () => {
  if (seller) await new Promise((resolve) => seller?.close(resolve))
  await running?.stop()
  await rpc?.stop()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** A v2 `/verify` or `/settle` body: `payer` pays `value` to `to`, which the requirements name as payTo. */
const body = (payer: LocalAccount, options?: { to?: Address; value?: bigint }) => paymentBody(chain, payer, options)

async function post(path: '/verify' | '/settle', json: unknown, url = running.url) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(json),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

const scrape = async (target = running) => (await fetch(`${target.metricsUrl}/metrics`)).text()
function sample(text: string, metric: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}${labels} `))
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0
}

/** Writes a new artifact and waits until the running facilitator has swapped it in (file watch). */
async function relist(addresses: Address[], options: Parameters<typeof artifactOf>[1] = {}, target = running) {
  const before = sample(await scrape(target), 'tollgate_screening_list_reloads_total', '{result="loaded"}')
  listed = addresses
  writeArtifact(listPath, artifactOf(addresses, options))
  const deadline = Date.now() + 5_000
  while (sample(await scrape(target), 'tollgate_screening_list_reloads_total', '{result="loaded"}') <= before) {
    if (Date.now() > deadline) throw new Error('the artifact was not reloaded within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const spent = (payer: Address, nonce: Hex) =>
  chain.publicClient.readContract({
    address: chain.usdc,
    abi: testUsdc.abi,
    functionName: 'authorizationState',
    args: [payer, nonce],
  })

async function lastAudit(target = running) {
  const head = await target.facilitator.store.audit.head()
  const [record] = await target.facilitator.store.audit.read({ afterSeq: (head?.seq ?? 1) - 1, limit: 1 })
  return JSON.parse(record?.body ?? '{}') as Record<string, unknown>
}

describe('screening at /verify', () => {
  test('default: a clear payment verifies, screened in the one batched eth_call (no extra round trip)', async () => {
    const payment = await body(payers[1] as LocalAccount)
    rpc.reset()
    const answer = await post('/verify', payment.json)
    const counted = rpc.snapshot()
    expect(answer).toMatchObject({ status: 200, json: { isValid: true } })
    expect(counted.eth_call).toBe(1)
    console.log('RPC requests during one screened /verify:', counted)
    const audit = await lastAudit()
    expect(audit).toMatchObject({
      phase: 'verify',
      decision: 'allow',
      payer: (payers[1] as LocalAccount).address.toLowerCase(),
    })
    const providers = audit.providers as { id: string; version: Record<string, unknown> }[]
    expect(providers.map((p) => p.id)).toEqual(['ofac_sdn', 'usdc_blacklist', 'chainalysis_oracle'])
    expect(providers[0]?.version).toMatchObject({
      dateOfIssue: '2026-12-01',
      artifactSha256: expect.stringMatching(/^0x/),
    })
    expect(providers[2]?.version).toMatchObject({
      chainId: 8453,
      contract: oracle.toLowerCase(),
      block: expect.stringMatching(/^[0-9]+$/),
    })
  })

  test('behavior: a listed payer and a listed payee are refused with the compliance code, naming no list', async () => {
    const byPayer = await post('/verify', (await body(listedPayer())).json)
    expect(byPayer).toMatchObject({ status: 200, json: { isValid: false, invalidReason: 'compliance_blocked_payer' } })
    const toPayee = await post('/verify', (await body(payers[1] as LocalAccount, { to: listedPayee })).json)
    expect(toPayee).toMatchObject({
      status: 200,
      json: { isValid: false, invalidReason: 'compliance_blocked_recipient' },
    })
    for (const answer of [byPayer, toPayee]) {
      expect(String(answer.json.invalidMessage)).toMatch(/^Payment declined by compliance screening \(ref [0-9]+\)\.$/)
      expect(JSON.stringify(answer.json)).not.toMatch(/ofac|sdn|chainalysis|oracle|blacklist|9000/i)
    }
    const audit = await lastAudit()
    expect(audit).toMatchObject({ decision: 'block', code: 'compliance_blocked_recipient', payee: listedPayee })
  })

  test('behavior: a USDC-blacklisted payer gets the compliance code, not a simulation failure', async () => {
    const payer = payers[2] as LocalAccount
    const wallet = chain.walletClient(chain.accounts.facilitator)
    const toggle = async (functionName: 'blacklist' | 'unBlacklist') => {
      const hash = await wallet.writeContract({
        address: chain.usdc,
        abi: testUsdc.abi,
        functionName,
        args: [payer.address],
      })
      await chain.publicClient.waitForTransactionReceipt({ hash })
    }
    await toggle('blacklist')
    try {
      const answer = await post('/verify', (await body(payer)).json)
      expect(answer.json).toMatchObject({ isValid: false, invalidReason: 'compliance_blocked_payer' })
      const audit = await lastAudit()
      const usdc = (audit.providers as { id: string; payer: { kind: string } }[]).find((p) => p.id === 'usdc_blacklist')
      expect(usdc?.payer.kind).toBe('hit')
    } finally {
      await toggle('unBlacklist')
    }
  })

  test('behavior: the oracle listing a payer blocks; an oracle that errors blocks, and passes when fail-open', async () => {
    const payer = payers[3] as LocalAccount
    const wallet = chain.walletClient(chain.accounts.facilitator)
    const call = async (functionName: 'addToSanctionsList' | 'removeFromSanctionsList' | 'setBroken', arg: unknown) => {
      const hash = await wallet.writeContract({
        address: oracle,
        abi: sanctionsOracle.abi,
        functionName,
        args: [arg],
      } as never)
      await chain.publicClient.waitForTransactionReceipt({ hash })
    }
    await call('addToSanctionsList', [payer.address])
    expect((await post('/verify', (await body(payer)).json)).json).toMatchObject({
      invalidReason: 'compliance_blocked_payer',
    })
    await call('removeFromSanctionsList', [payer.address])
    await call('setBroken', true)
    const open = await startFacilitator(
      env({ TOLLGATE_DATA_DIR: join(dir, 'open'), TOLLGATE_SCREENING_ON_ERROR: 'oracle=allow' }),
      { logDestination: capture },
    )
    try {
      const closed = await post('/verify', (await body(payer)).json)
      expect(closed.json).toMatchObject({ isValid: false, invalidReason: 'compliance_unavailable' })
      expect(
        sample(
          await scrape(),
          'tollgate_screening_provider_errors_total',
          '{provider="chainalysis_oracle",code="rpc"}',
        ),
      ).toBeGreaterThan(0)
      expect(await lastAudit()).toMatchObject({ decision: 'block_unavailable' })
      const degraded = await post('/verify', (await body(payer)).json, open.url)
      expect(degraded.json).toMatchObject({ isValid: true })
      expect(await lastAudit(open)).toMatchObject({ decision: 'allow_degraded' })
      // A hit still wins over the oracle's error, fail-open or not.
      expect((await post('/verify', (await body(listedPayer())).json, open.url)).json).toMatchObject({
        invalidReason: 'compliance_blocked_payer',
      })
    } finally {
      await call('setBroken', false)
      await open.stop()
    }
  })
})

describe('screening at /settle', () => {
  test('behavior: a payer listed between /verify and /settle is refused at settle, and nothing is sent', async () => {
    const payer = payers[4] as LocalAccount
    const payment = await body(payer)
    expect((await post('/verify', payment.json)).json).toMatchObject({ isValid: true })
    await relist([...listed, payer.address])
    rpc.reset()
    const settled = await post('/settle', payment.json)
    expect(settled.json).toMatchObject({ success: false, errorReason: 'compliance_blocked_payer', transaction: '' })
    expect(rpc.snapshot().eth_sendRawTransaction ?? 0).toBe(0)
    expect(await spent(payer.address, payment.nonce)).toBe(false)
    expect(await lastAudit()).toMatchObject({ phase: 'settle', decision: 'block', code: 'compliance_blocked_payer' })
  })

  test('behavior: a payee listed between /verify and /settle is refused at settle, and nothing is sent', async () => {
    const payee: Address = '0x00000000000000000000000000000000000bad02'
    const payer = payers[5] as LocalAccount
    const payment = await body(payer, { to: payee })
    expect((await post('/verify', payment.json)).json).toMatchObject({ isValid: true })
    await relist([...listed, payee])
    rpc.reset()
    const settled = await post('/settle', payment.json)
    expect(settled.json).toMatchObject({ success: false, errorReason: 'compliance_blocked_recipient' })
    expect(rpc.snapshot().eth_sendRawTransaction ?? 0).toBe(0)
    expect(await spent(payer.address, payment.nonce)).toBe(false)
  })

  test('default: a clear payment settles, screened again at settle', async () => {
    const payer = payers[6] as LocalAccount
    const payment = await body(payer)
    const settled = await post('/settle', payment.json)
    expect(settled.json).toMatchObject({ success: true })
    expect(await spent(payer.address, payment.nonce)).toBe(true)
    expect(await lastAudit()).toMatchObject({ phase: 'settle', decision: 'allow' })
  })
})

describe('the list', () => {
  test('behavior: an artifact older than the maximum age blocks (compliance_unavailable) and /ready says so', async () => {
    const payer = payers[1] as LocalAccount
    const old = new Date(Date.now() - 49 * 3600 * 1000)
    await relist(listed, { checkedAt: old })
    try {
      const answer = await post('/verify', (await body(payer)).json)
      expect(answer.json).toMatchObject({ isValid: false, invalidReason: 'compliance_unavailable' })
      const ready = await fetch(`${running.metricsUrl}/ready`)
      expect(ready.status).toBe(503)
      const detail = (await ready.json()) as { checks: { screening: { ok: boolean; detail: string } } }
      expect(detail.checks.screening).toMatchObject({ ok: false, detail: expect.stringMatching(/max 172800 s/) })
      expect(sample(await scrape(), 'tollgate_screening_list_age_seconds')).toBeGreaterThan(48 * 3600)
      // A listed party is still refused as listed: a stale list's hits count.
      expect((await post('/verify', (await body(listedPayer())).json)).json).toMatchObject({
        invalidReason: 'compliance_blocked_payer',
      })
    } finally {
      await relist(listed)
    }
    expect((await post('/verify', (await body(payer)).json)).json).toMatchObject({ isValid: true })
    // /ready answers are shared for 1 s: the next one sees the fresh list.
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    const ready = (await (await fetch(`${running.metricsUrl}/ready`)).json()) as {
      checks: { screening: { ok: boolean } }
    }
    expect(ready.checks.screening.ok).toBe(true)
  })

  test('behavior: a malformed artifact is refused and the old one kept; a mass removal is reported', async () => {
    const rejected = () =>
      scrape().then((text) => sample(text, 'tollgate_screening_list_reloads_total', '{result="rejected"}'))
    const before = await rejected()
    writeArtifact(listPath, '{"format":"ofac-sdn-evm/1","evm":[')
    const deadline = Date.now() + 5_000
    while ((await rejected()) <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    expect(await rejected()).toBe(before + 1)
    expect(logged).toMatch(/sanctions list refused; the loaded one is kept/)
    expect((await post('/verify', (await body(listedPayer())).json)).json).toMatchObject({
      invalidReason: 'compliance_blocked_payer',
    })
    // SIGHUP's path re-reads the same bad file: still refused, still the old list.
    running.reloadSanctions()
    expect(await rejected()).toBe(before + 2)
    // Most addresses gone at once: loaded, and reported.
    const many = Array.from({ length: 20 }, (_, i) => `0x${(0xfeed00 + i).toString(16).padStart(40, '0')}` as Address)
    const base = listed
    await relist([...base, ...many])
    await relist(base)
    expect(sample(await scrape(), 'tollgate_screening_list_mass_removals_total')).toBe(1)
    expect(logged).toMatch(/many addresses removed at once/)
  })

  test('behavior: the list is refreshed while /verify serves a steady load, with no failed request', async () => {
    // Only the first payer and payee listed (earlier tests listed others): every payment of the load is clear.
    await relist(listed.slice(0, 2))
    const clients = 4
    const pool = payers.slice(1, 8)
    const failures: unknown[] = []
    let served = 0
    let done = false
    // Four clients verify back to back until ten swaps of the list have landed (each seen by the service).
    const load = Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; !done || i < 10; i++) {
        const payer = pool[(c * 31 + i) % pool.length] as LocalAccount
        const answer = await post('/verify', (await body(payer)).json)
        if (answer.status !== 200 || answer.json.isValid !== true) failures.push(answer)
        served++
      }
    })
    let swaps = 0
    const servedAtSwap: number[] = []
    for (; swaps < 10; swaps++) {
      const filler = `0x${(0xabc000 + swaps).toString(16).padStart(40, '0')}` as Address
      await relist([...listed.slice(0, 2), filler])
      servedAtSwap.push(served)
    }
    done = true
    await Promise.all(load)
    console.log(
      `${served} /verify answered during ${swaps} list swaps (served at each swap: ${servedAtSwap.join(', ')}); failures: ${failures.length}`,
    )
    expect(failures).toEqual([])
    // The load was running across the swaps, not before or after them.
    expect(servedAtSwap[0]).toBeGreaterThan(0)
    expect(servedAtSwap[9] as number).toBeGreaterThan(servedAtSwap[0] as number)
    expect(served).toBeGreaterThan(servedAtSwap[9] as number)
  }, 120_000)
})

describe('@tollgate/hono and the audit trail', () => {
  test('behavior: the middleware answers a listed payer 402 with the compliance reason', async () => {
    const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(listedPayer())))
    const response = await pay(`${sellerUrl}/paid`)
    expect(response.status).toBe(402)
    const required = decodeHeader(paymentRequiredV2Schema, response.headers.get('payment-required'))
    expect(required).toMatchObject({ error: 'compliance_blocked_payer' })
  })

  test('behavior: every decision of this suite is in the audit trail, and the chain verifies', async () => {
    const result = await verifyAuditChain(readAuditChain(running.facilitator.store.audit))
    expect(result.ok).toBe(true)
    expect(result.count).toBeGreaterThan(100)
    const decisions = (await scrape())
      .split('\n')
      .filter((l) => l.startsWith('tollgate_screening_decisions_total{'))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
    expect(result.count).toBe(decisions)
  })
})
