/**
 * Screening on by default: the installed service started with only a signer key and an RPC URL (plus a free port and
 * a data folder for the test) screens payer and payee through the USDC blacklist and, on Base, the Chainalysis
 * oracle (our contract at its address on the local chain), over HTTP, with an API key as in production. Where a
 * network has no oracle the service says so; off is an explicit, logged choice.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { type Address, encodeAbiParameters, type Hex, keccak256, type LocalAccount, toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runAuditCommand } from '../../apps/facilitator/src/commands/audit.ts'
import { createApiKey } from '../../apps/facilitator/src/http/apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { createSqliteApiKeyStore } from '../../apps/facilitator/src/storage/apiKeysSqlite.ts'
import { devAccounts, devPrivateKeys } from '../chain/accounts.ts'
import { testUsdc } from '../chain/contracts/artifacts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { type RpcCounter, startRpcCounter } from './rpcCounter.ts'
import { paymentBody, post } from './verifyBody.ts'

const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const dir = mkdtempSync(join(tmpdir(), 'tollgate-default-screening-'))
const listedPayee: Address = '0x00000000000000000000000000000000000bad03'
let chain: LocalChain
let rpc: RpcCounter
let service: ChildProcess | undefined
let url: string
let apiKey: string
let listening: Record<string, unknown>
const payer = (i: number) => chain.accounts.payers[i] as LocalAccount
/** Payer 1 is on the oracle's list, payer 2 on the token's blacklist; payer 0 is clear. */
const oracleListed = () => payer(1)
const blacklisted = () => payer(2)

/** Puts `address` on TestUsdc's blacklist by writing its storage (`_blacklisted`, slot 4): no transaction. */
async function blacklist(target: LocalChain, address: Address) {
  await target.testClient.setStorageAt({
    address: target.usdc,
    index: keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [address, 4n])),
    value: toHex(1n, { size: 32 }),
  })
}

beforeAll(async () => {
  chain = await startLocalChain({ sanctioned: [devAccounts.payers[1].address, listedPayee] })
  await blacklist(chain, blacklisted().address)
  rpc = await startRpcCounter(chain.url)
  const dataDir = join(dir, 'data')
  const keys = createSqliteApiKeyStore({ dataDir })
  const created = await createApiKey({
    scopes: ['verify', 'settle'],
    payTo: [chain.accounts.seller.address, listedPayee],
    label: 'default screening test',
    now: BigInt(Math.floor(Date.now() / 1000)),
  })
  await keys.insert(created.record)
  await keys.close()
  apiKey = created.key
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TOLLGATE_')))
  service = spawn(process.execPath, [bin], {
    env: {
      ...env,
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: rpc.url,
      // For the test only: a free port and its own data folder.
      TOLLGATE_PORT: '0',
      TOLLGATE_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  service.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    service?.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
      for (const line of output.split('\n')) {
        if (line.includes('"msg":"listening"')) resolve(JSON.parse(line) as Record<string, unknown>)
      }
    })
    service?.once('exit', (code) => reject(new Error(`the service exited with ${code}: ${output}`)))
  })
  url = listening.url as string
}, 60_000)
afterAll(async () => {
  if (service && service.exitCode === null) {
    const exited = new Promise((resolve) => service?.once('exit', resolve))
    service.kill('SIGTERM')
    await exited
  }
  await rpc?.stop()
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const spent = (who: Address, nonce: Hex) =>
  chain.publicClient.readContract({
    address: chain.usdc,
    abi: testUsdc.abi,
    functionName: 'authorizationState',
    args: [who, nonce],
  })

describe('a fresh service: only a signer key and an RPC URL', () => {
  test('default: it says at start what it screens with, and a clear payment verifies', async () => {
    expect(listening.screening).toEqual({
      providers: { 'eip155:8453': ['usdc_blacklist', 'chainalysis_oracle'] },
      notScreening: ['ofac_sdn: no OFAC list (TOLLGATE_SANCTIONS_LIST is unset)'],
    })
    const answer = await post(`${url}/verify`, (await paymentBody(chain, payer(0))).json, apiKey)
    expect(answer).toMatchObject({ status: 200, json: { isValid: true } })
  })

  test('behavior: a USDC-blacklisted payer and an oracle-listed payer or payee are refused at /verify and /settle; nothing is sent', async () => {
    rpc.reset()
    const payments = {
      blacklisted: await paymentBody(chain, blacklisted()),
      oracleListed: await paymentBody(chain, oracleListed()),
      toListedPayee: await paymentBody(chain, payer(3), { to: listedPayee }),
    }
    const balances = await Promise.all([blacklisted(), oracleListed(), payer(3)].map((p) => chain.balanceOf(p.address)))
    expect((await post(`${url}/verify`, payments.blacklisted.json, apiKey)).json).toMatchObject({
      isValid: false,
      invalidReason: 'compliance_blocked_payer',
      invalidMessage: expect.stringMatching(/^Payment declined by compliance screening \(ref [0-9]+\)\.$/),
    })
    expect((await post(`${url}/verify`, payments.oracleListed.json, apiKey)).json).toMatchObject({
      isValid: false,
      invalidReason: 'compliance_blocked_payer',
    })
    expect((await post(`${url}/verify`, payments.toListedPayee.json, apiKey)).json).toMatchObject({
      isValid: false,
      invalidReason: 'compliance_blocked_recipient',
    })
    for (const payment of Object.values(payments)) {
      expect((await post(`${url}/settle`, payment.json, apiKey)).json).toMatchObject({
        success: false,
        errorReason: expect.stringMatching(/^compliance_blocked_(payer|recipient)$/),
        transaction: '',
      })
    }
    expect(rpc.snapshot().eth_sendRawTransaction ?? 0).toBe(0)
    expect(await spent(blacklisted().address, payments.blacklisted.nonce)).toBe(false)
    expect(await spent(oracleListed().address, payments.oracleListed.nonce)).toBe(false)
    expect(await spent(payer(3).address, payments.toListedPayee.nonce)).toBe(false)
    expect(await Promise.all([blacklisted(), oracleListed(), payer(3)].map((p) => chain.balanceOf(p.address)))).toEqual(
      balances,
    )
  })

  test('behavior: each decision is audited with the providers that answered', async () => {
    let exported = ''
    const code = await runAuditCommand(['export'], {
      env: { TOLLGATE_DATA_DIR: join(dir, 'data') },
      out: (text) => {
        exported += text
      },
      err: () => undefined,
    })
    expect(code).toBe(0)
    const decisions = exported
      .trim()
      .split('\n')
      .map((line) => JSON.parse(JSON.parse(line).body) as Record<string, unknown>)
    expect(decisions).toHaveLength(7)
    const blocked = decisions.find((d) => d.payer === oracleListed().address.toLowerCase() && d.phase === 'verify')
    expect(blocked).toMatchObject({ decision: 'block', code: 'compliance_blocked_payer' })
    expect(blocked?.providers).toMatchObject([
      { id: 'usdc_blacklist', payer: { kind: 'clear' } },
      { id: 'chainalysis_oracle', payer: { kind: 'hit' }, version: { chainId: 8453 } },
    ])
  })
})

describe('where a provider is missing, and screening off', () => {
  let logged = ''
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logged += String(chunk)
      done()
    },
  })
  const running: RunningFacilitator[] = []
  const chains: LocalChain[] = []
  afterAll(async () => {
    await Promise.allSettled(running.map((node) => node.stop()))
    await Promise.allSettled(chains.map((each) => each.stop()))
  })
  const start = async (target: LocalChain, env: Record<string, string> = {}) => {
    const node = await startFacilitator(
      {
        TOLLGATE_PORT: '0',
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_NETWORKS: target.network,
        [`TOLLGATE_RPC_URL_${target.chainId}`]: target.url,
        TOLLGATE_DATA_DIR: join(dir, `node-${running.length}`),
        TOLLGATE_METRICS_PORT: '0',
        TOLLGATE_AUTH: 'off',
        ...env,
      },
      { logDestination: capture },
    )
    running.push(node)
    return node
  }

  test('behavior: on Base Sepolia (no oracle) it screens with the USDC blacklist and says the oracle is missing', async () => {
    const sepolia = await startLocalChain({ chainId: 84532 })
    chains.push(sepolia)
    await blacklist(sepolia, payer(2).address)
    const node = await start(sepolia)
    const ready = (await (await fetch(`${node.metricsUrl}/ready`)).json()) as { checks: { screening: unknown } }
    expect(ready.checks.screening).toEqual({
      ok: true,
      detail: 'on-chain screening only (no OFAC list)',
      providers: { 'eip155:84532': ['usdc_blacklist'] },
      notScreening: [
        'ofac_sdn: no OFAC list (TOLLGATE_SANCTIONS_LIST is unset)',
        'chainalysis_oracle: none deployed on eip155:84532 (TOLLGATE_SCREENING_ORACLES names none)',
      ],
    })
    expect((await post(`${node.url}/verify`, (await paymentBody(sepolia, payer(2))).json)).json).toMatchObject({
      invalidReason: 'compliance_blocked_payer',
    })
    expect((await post(`${node.url}/verify`, (await paymentBody(sepolia, payer(0))).json)).json).toMatchObject({
      isValid: true,
    })
  })

  test('behavior: TOLLGATE_SCREENING=off is logged and shown in /ready, and nothing is screened', async () => {
    const node = await start(chain, { TOLLGATE_SCREENING: 'off' })
    expect(logged).toMatch(
      /"level":"warn".*"screening":"off".*"msg":"sanctions screening is off \(TOLLGATE_SCREENING=off\)"/,
    )
    const ready = (await (await fetch(`${node.metricsUrl}/ready`)).json()) as { checks: { screening: unknown } }
    expect(ready.checks.screening).toEqual({ ok: true, detail: 'off (TOLLGATE_SCREENING=off): nothing is screened' })
    // The oracle's listed payer passes; the token's own blacklist still stops a payment, with the token's code.
    expect((await post(`${node.url}/verify`, (await paymentBody(chain, oracleListed())).json)).json).toMatchObject({
      isValid: true,
    })
    expect((await post(`${node.url}/verify`, (await paymentBody(chain, blacklisted())).json)).json).toMatchObject({
      isValid: false,
      invalidReason: 'invalid_exact_evm_payload_authorization_from_address_kyt',
    })
  })
})
