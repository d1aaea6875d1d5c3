/**
 * Differential test: over a corpus of valid and invalid payments, our /verify and the official
 * @x402/evm facilitator scheme, run against the same anvil, agree on valid/invalid.
 */
import { transferWithAuthorizationTypes } from '@tollgate/evm'
import type { ExactEvmPayload } from '@tollgate/protocol'
import { toHex } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { smartWalletFactory, testUsdc } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from './fixture.ts'
import { createOfficialFacilitator } from './officialFacilitator.ts'
import { toHighS, toYParityV, wrap6492 } from './signatures.ts'

let f: Fixture
let official: ReturnType<typeof createOfficialFacilitator>
beforeAll(async () => {
  f = await startFixture()
  official = createOfficialFacilitator({
    url: f.chain.url,
    chain: f.chain.chain,
    account: f.chain.accounts.facilitator,
    eip6492AllowedFactories: [f.chain.factory],
  })
})
afterAll(() => f?.stop())

type Body = { paymentPayload: unknown; paymentRequirements: unknown }
type Case = {
  name: string
  valid: boolean
  body: () => Promise<Body>
  before?: () => Promise<void>
  after?: () => Promise<void>
}

const salt = (n: number) => toHex(n, { size: 32 })

async function ours(body: Body) {
  const { status, json } = await f.post('/verify', body)
  expect(status).toBe(200)
  return { valid: json.isValid === true, reason: json.invalidReason }
}

async function theirs(body: Body) {
  try {
    const response = await official.verify(body.paymentPayload as never, body.paymentRequirements as never)
    return { valid: response.isValid === true, reason: response.invalidReason }
  } catch (error) {
    return { valid: false, reason: `threw: ${(error as Error).message.slice(0, 80)}` }
  }
}

test('default: ours and the official facilitator agree on every payment of the corpus', async () => {
  const [p0, p1, p2, p3, p4, p5, p6] = f.chain.accounts.payers
  const admin = f.chain.walletClient(f.chain.accounts.payers[7])
  const tx = async (hash: Promise<`0x${string}`>) =>
    f.chain.publicClient.waitForTransactionReceipt({ hash: await hash })
  const v2 = async (payload: Promise<ExactEvmPayload>, requirements?: Record<string, unknown>) =>
    f.bodyV2(await payload, requirements) as Body
  const v1 = async (payload: Promise<ExactEvmPayload>, requirements?: Record<string, unknown>) =>
    f.bodyV1(await payload, requirements) as Body
  const counterfactual = async (owner: typeof p0, n: number) => {
    const wallet = await f.chain.publicClient.readContract({
      address: f.chain.factory,
      abi: smartWalletFactory.abi,
      functionName: 'getAddress',
      args: [owner.address, salt(n)],
    })
    await f.chain.mint({ to: wallet, value: 1_000_000n })
    return wallet
  }
  const wallet1271 = await f.chain.deploySmartWallet({ owner: p3.address, salt: salt(1) })
  await f.chain.mint({ to: wallet1271, value: 1_000_000n })

  // A payment settled before the corpus runs, and one cancelled on chain.
  const settled = await f.sign(p5)
  expect((await f.post('/settle', f.bodyV2(settled))).json.success).toBe(true)
  const cancelled = await f.sign(p6)
  const cancel = await p6.signTypedData({
    domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: f.usdc },
    types: {
      CancelAuthorization: [
        { name: 'authorizer', type: 'address' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'CancelAuthorization',
    message: { authorizer: p6.address, nonce: cancelled.authorization.nonce },
  })
  await tx(
    f.chain.walletClient(p6).writeContract({
      address: f.usdc,
      abi: testUsdc.abi,
      functionName: 'cancelAuthorization',
      args: [p6.address, cancelled.authorization.nonce, cancel],
    }),
  )

  const cases: Case[] = [
    { name: 'EOA v2', valid: true, body: () => v2(f.sign(p0)) },
    { name: 'EOA v1 (validAfter now - 600)', valid: true, body: () => v1(f.sign(p0, { validAfter: f.now() - 600n })) },
    {
      name: 'payTo in lowercase',
      valid: true,
      body: () => v2(f.sign(p0), f.requirementsV2({ payTo: f.payTo.toLowerCase() })),
    },
    { name: 'validAfter a minute ago', valid: true, body: () => v2(f.sign(p1, { validAfter: f.now() - 60n })) },
    { name: 'expired', valid: false, body: () => v2(f.sign(p0, { validBefore: f.now() - 10n })) },
    { name: 'expires in 2 s', valid: false, body: () => v2(f.sign(p0, { validBefore: f.now() + 2n })) },
    { name: 'not yet valid', valid: false, body: () => v2(f.sign(p0, { validAfter: f.now() + 120n })) },
    { name: 'amount too low', valid: false, body: () => v2(f.sign(p0, { value: 9_999n })) },
    { name: 'amount too high', valid: false, body: () => v2(f.sign(p0, { value: 10_001n })) },
    { name: 'v1 amount too high', valid: false, body: () => v1(f.sign(p0, { value: 10_001n })) },
    { name: 'wrong recipient', valid: false, body: () => v2(f.sign(p0, { to: p4.address })) },
    {
      name: 'requirements name the wrong domain',
      valid: false,
      body: () => v2(f.sign(p0), f.requirementsV2({ extra: { name: 'USDC', version: '2' } })),
    },
    {
      name: 'requirements without a domain',
      valid: false,
      body: () => v2(f.sign(p0), f.requirementsV2({ extra: {} })),
    },
    {
      name: 'signed over the wrong domain',
      valid: false,
      body: async () => {
        const message = {
          from: p0.address,
          to: f.payTo,
          value: 10_000n,
          validAfter: 0n,
          validBefore: f.now() + 300n,
          nonce: salt(991),
        }
        const signature = await p0.signTypedData({
          domain: { name: 'USDC', version: '2', chainId: 8453, verifyingContract: f.usdc },
          types: transferWithAuthorizationTypes,
          primaryType: 'TransferWithAuthorization',
          message,
        })
        return f.bodyV2({
          signature,
          authorization: { ...message, value: '10000', validAfter: '0', validBefore: message.validBefore.toString() },
        }) as Body
      },
    },
    {
      name: 'high-s',
      valid: false,
      body: async () => v2(f.sign(p0).then((p) => ({ ...p, signature: toHighS(p.signature) }))),
    },
    {
      name: 'v = 0/1',
      valid: false,
      body: async () => v2(f.sign(p0).then((p) => ({ ...p, signature: toYParityV(p.signature) }))),
    },
    { name: 'bad signer', valid: false, body: () => v2(f.sign(p1, { from: p0.address })) },
    {
      name: 'garbage 65-byte signature',
      valid: false,
      body: async () => v2(f.sign(p0).then((p) => ({ ...p, signature: `0x${'ab'.repeat(64)}1b` as const }))),
    },
    {
      name: 'insufficient balance',
      valid: false,
      body: () => v2(f.sign(p2, { value: 5_000_000_000n }), f.requirementsV2({ amount: '5000000000' })),
    },
    { name: 'already settled', valid: false, body: async () => f.bodyV2(settled) as Body },
    { name: 'cancelled', valid: false, body: async () => f.bodyV2(cancelled) as Body },
    { name: 'ERC-1271 wallet', valid: true, body: () => v2(f.sign(p3, { from: wallet1271 })) },
    { name: 'ERC-1271 wallet, wrong signer', valid: false, body: () => v2(f.sign(p2, { from: wallet1271 })) },
    {
      name: 'ERC-1271 wallet in an ERC-6492 wrapper (already deployed)',
      valid: true,
      body: async () => {
        const payload = await f.sign(p3, { from: wallet1271 })
        return f.bodyV2({ ...payload, signature: wrap6492(f.chain.factory, p3, salt(1), payload.signature) }) as Body
      },
    },
    {
      name: 'ERC-6492 undeployed wallet, allowed factory',
      valid: true,
      body: async () => {
        const wallet = await counterfactual(p4, 10)
        const payload = await f.sign(p4, { from: wallet })
        return f.bodyV2({ ...payload, signature: wrap6492(f.chain.factory, p4, salt(10), payload.signature) }) as Body
      },
    },
    {
      name: 'ERC-6492 undeployed wallet, unknown factory',
      valid: false,
      body: async () => {
        const wallet = await counterfactual(p4, 11)
        const payload = await f.sign(p4, { from: wallet })
        const unknown = '0x000000000000000000000000000000000000dEaD'
        return f.bodyV2({ ...payload, signature: wrap6492(unknown, p4, salt(11), payload.signature) }) as Body
      },
    },
    {
      name: 'ERC-6492 undeployed wallet, wrong signer',
      valid: false,
      body: async () => {
        const wallet = await counterfactual(p4, 12)
        const payload = await f.sign(p2, { from: wallet })
        return f.bodyV2({ ...payload, signature: wrap6492(f.chain.factory, p4, salt(12), payload.signature) }) as Body
      },
    },
    {
      name: 'payer blacklisted',
      valid: false,
      body: () => v2(f.sign(p1)),
      before: async () =>
        void (await tx(
          admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'blacklist', args: [p1.address] }),
        )),
      after: async () =>
        void (await tx(
          admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'unBlacklist', args: [p1.address] }),
        )),
    },
    {
      name: 'token paused',
      valid: false,
      body: () => v2(f.sign(p0)),
      before: async () =>
        void (await tx(admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'pause' }))),
      after: async () =>
        void (await tx(admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'unpause' }))),
    },
  ]

  const results: { name: string; ours: boolean; theirs: boolean; expected: boolean; reasons: string }[] = []
  for (const item of cases) {
    const body = await item.body()
    await item.before?.()
    try {
      const [a, b] = [await ours(body), await theirs(body)]
      results.push({
        name: item.name,
        ours: a.valid,
        theirs: b.valid,
        expected: item.valid,
        reasons: `${a.reason} / ${b.reason}`,
      })
    } finally {
      await item.after?.()
    }
  }
  const disagreements = results.filter((r) => r.ours !== r.theirs || r.ours !== r.expected)
  expect(disagreements).toEqual([])
  expect(results.length).toBe(cases.length)
  expect(results.filter((r) => r.expected).length).toBe(7)
})
