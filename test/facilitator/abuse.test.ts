/**
 * Abuse limits on a real anvil (issue 9, item 2): what an outsider can make the facilitator's hot
 * wallet pay for, without any auth. A value-0 self-transfer and an amount below the minimum are
 * refused with no transaction sent; an ERC-1271 wallet that passes `isValidSignature` under a plain
 * `eth_call` but not with the settlement's gas limit, and an EOA payment whose transfer needs more
 * gas than the settlement's limit, are refused by the simulation as sent; one whose state
 * flips between the simulation and the mining (TrickWallet, `armed`) costs at most one reverted
 * transaction, never fails the other payers batched in the same window, and is then in cool-off;
 * and a payer's settlements in flight are capped (the rest wait their turn).
 */
import { createFacilitator, createMemoryStore, type Facilitator } from '@tollgate/facilitator'
import { type Address, createPublicClient, custom, type Hex, pad } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { createApp } from '../../apps/facilitator/src/http/app.ts'
import { trickWallet } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from './fixture.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.stop())

const armedSlot = pad('0x1')

/** Places a TrickWallet owned by `owner` at `address` (code and storage written directly: no transaction). */
async function placeTrickWallet(address: Address, owner: Address, minGas: bigint): Promise<Address> {
  await f.chain.testClient.setCode({ address, bytecode: trickWallet.deployedBytecode })
  await f.chain.testClient.setStorageAt({ address, index: 0, value: pad(owner) })
  await f.chain.testClient.setStorageAt({ address, index: 1, value: pad('0x0') })
  await f.chain.testClient.setStorageAt({ address, index: 2, value: pad(`0x${minGas.toString(16)}`) })
  await f.chain.mint({ to: address, value: 1_000_000_000n })
  return address
}

type Node = {
  facilitator: Facilitator
  signer: Address
  post(path: '/verify' | '/settle', body: unknown): Promise<Record<string, unknown>>
  /** Transactions this node's signer sent since it started (its pending nonce). */
  sent(): Promise<number>
  close(): Promise<void>
}

/**
 * A facilitator with its own signer whose RPC client calls `beforeSend` before each
 * `eth_sendRawTransaction` goes to anvil: where the test plays the attacker's state flip.
 */
function startNode(
  signerIndex: number,
  options: Parameters<typeof createFacilitator>[1],
  beforeSend: () => Promise<void> = async () => undefined,
): Node {
  const account = f.chain.accounts.payers[signerIndex]
  if (!account) throw new Error('no such account')
  const client = createPublicClient({
    chain: f.chain.chain,
    transport: custom({
      async request({ method, params }) {
        if (method === 'eth_sendRawTransaction') await beforeSend()
        return f.chain.publicClient.request({ method, params } as never)
      },
    }),
  })
  const facilitator = createFacilitator(
    { store: createMemoryStore(), networks: [{ network: f.chain.network, client, account }] },
    {
      recover: createNativeRecover(),
      pollingIntervalMs: 20,
      receiptTimeoutMs: 10_000,
      replaceAfterMs: 3_000,
      ...options,
    },
  )
  const app = createApp(facilitator)
  let start: number | undefined
  const pendingNonce = () => f.chain.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' })
  return {
    facilitator,
    signer: account.address,
    async post(path, body) {
      start ??= await pendingNonce()
      const response = await app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return (await response.json()) as Record<string, unknown>
    },
    async sent() {
      return (await pendingNonce()) - (start ?? (await pendingNonce()))
    },
    close: () => facilitator.close(),
  }
}

describe('abuse limits', () => {
  test('a value-0 self-transfer and an amount below the minimum are refused, with no transaction sent', async () => {
    const node = startNode(6, {})
    try {
      const [attacker] = f.chain.accounts.payers
      if (!attacker) throw new Error('no payer')
      const before = await f.chain.publicClient.getTransactionCount({ address: node.signer, blockTag: 'pending' })
      const self = f.requirementsV2({ amount: '0', payTo: attacker.address })
      const zero = f.bodyV2(await f.sign(attacker, { to: attacker.address, value: 0n }), self)
      expect(await node.post('/verify', zero)).toMatchObject({ isValid: false, invalidReason: 'invalid_amount' })
      expect(await node.post('/settle', zero)).toMatchObject({ success: false, errorReason: 'invalid_amount' })

      const tiny = f.requirementsV2({ amount: '999', payTo: attacker.address })
      const low = f.bodyV2(await f.sign(attacker, { to: attacker.address, value: 999n }), tiny)
      expect(await node.post('/verify', low)).toMatchObject({ isValid: false, invalidReason: 'amount_too_low' })
      expect(await node.post('/settle', low)).toMatchObject({ success: false, errorReason: 'amount_too_low' })

      // A per-asset minimum over the default.
      const strict = startNode(6, { minAmounts: { [f.usdc.toLowerCase()]: 50_000n } })
      try {
        const body = f.bodyV2(await f.sign(attacker))
        expect(await strict.post('/settle', body)).toMatchObject({ success: false, errorReason: 'amount_too_low' })
      } finally {
        await strict.close()
      }
      expect(await f.chain.publicClient.getTransactionCount({ address: node.signer, blockTag: 'pending' })).toBe(before)
    } finally {
      await node.close()
    }
  })

  test('a wallet valid only under a large eth_call gas allowance fails the simulation: nothing is sent', async () => {
    const node = startNode(6, {})
    try {
      const owner = f.chain.accounts.payers[1]
      if (!owner) throw new Error('no payer')
      const wallet = await placeTrickWallet('0x00000000000000000000000000000000000a1271', owner.address, 1_000_000n)
      const body = f.bodyV2(await f.sign(owner, { from: wallet }))
      const settled = await node.post('/settle', body)
      expect(settled).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_transaction_simulation_failed' })
      expect(await node.sent()).toBe(0)
    } finally {
      await node.close()
    }
  })

  test("an EOA payment that needs more gas than the settlement's limit fails the simulation as sent: nothing is sent", async () => {
    // 30,000 gas covers the transaction's intrinsic cost, not the transfer: mined, it would revert.
    const node = startNode(6, { gas: { eoa: 30_000n } })
    try {
      const payer = f.chain.accounts.payers[3]
      if (!payer) throw new Error('no payer')
      const body = f.bodyV2(await f.sign(payer))
      // /verify stays one batched read: it does not simulate an EOA payment as sent.
      expect(await node.post('/verify', body)).toMatchObject({ isValid: true })
      const settled = await node.post('/settle', body)
      expect(settled).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_transaction_simulation_failed' })
      expect(await node.sent()).toBe(0)
    } finally {
      await node.close()
    }
  })

  test('a wallet whose state flips after the simulation costs one reverted transaction, fails no one else, then cools off', async () => {
    const owner = f.chain.accounts.payers[2]
    if (!owner) throw new Error('no payer')
    const wallet = await placeTrickWallet('0x00000000000000000000000000000000000b1271', owner.address, 0n)
    // The attacker flips the wallet's state as soon as the facilitator broadcasts anything.
    const arm = () => f.chain.testClient.setStorageAt({ address: wallet, index: armedSlot, value: pad('0x1') })
    const node = startNode(7, { batch: { maxSize: 8, maxWaitMs: 400 } }, arm)
    try {
      const others = [f.chain.accounts.payers[3], f.chain.accounts.payers[4], f.chain.accounts.payers[5]]
      const walletBody = f.bodyV2(await f.sign(owner, { from: wallet }))
      const bodies = await Promise.all(others.map(async (payer) => f.bodyV2(await f.sign(payer as never))))
      const sellerBefore = await f.chain.balanceOf(f.payTo)
      // The wallet's settlement first, the others within the same batch window.
      const walletAnswer = node.post('/settle', walletBody)
      await new Promise((resolve) => setTimeout(resolve, 30))
      const answers = await Promise.all(bodies.map((body) => node.post('/settle', body)))
      const walletResult = await walletAnswer

      for (const answer of answers) expect(answer).toMatchObject({ success: true })
      expect(await f.chain.balanceOf(f.payTo)).toBe(sellerBefore + 3n * 10_000n)
      expect(walletResult).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_transaction_failed' })
      const reverted = await f.chain.publicClient.getTransactionReceipt({ hash: walletResult.transaction as Hex })
      expect(reverted.status).toBe('reverted')
      // The wallet alone, the others in one batch: two transactions, one of them reverted.
      expect(await node.sent()).toBe(2)

      // The attacker flips the state back and tries again: refused at once, before any RPC.
      await f.chain.testClient.setStorageAt({ address: wallet, index: armedSlot, value: pad('0x0') })
      const again = f.bodyV2(await f.sign(owner, { from: wallet }))
      expect(await node.post('/verify', again)).toMatchObject({ isValid: false, invalidReason: 'payment_rejected' })
      expect(await node.post('/settle', again)).toMatchObject({ success: false, errorReason: 'payment_rejected' })
      expect(await node.sent()).toBe(2)
    } finally {
      await node.close()
    }
  })

  test('an EOA with code (EIP-7702 style) is a smart-wallet payer: settled alone, so its flip fails no one else', async () => {
    // A fresh key whose address carries TrickWallet code owned by itself: its 65-byte signature
    // recovers locally, but the token asks the code (as FiatToken does for any signer with code).
    const key = generatePrivateKey()
    const delegated = privateKeyToAccount(key)
    await placeTrickWallet(delegated.address, delegated.address, 0n)
    const arm = () =>
      f.chain.testClient.setStorageAt({ address: delegated.address, index: armedSlot, value: pad('0x1') })
    const node = startNode(7, { batch: { maxSize: 8, maxWaitMs: 400 } }, arm)
    try {
      const others = [f.chain.accounts.payers[3], f.chain.accounts.payers[4]]
      const first = f.bodyV2(await f.sign(delegated))
      const bodies = await Promise.all(others.map(async (payer) => f.bodyV2(await f.sign(payer as never))))
      const answer = node.post('/settle', first)
      await new Promise((resolve) => setTimeout(resolve, 30))
      const answers = await Promise.all(bodies.map((body) => node.post('/settle', body)))
      for (const other of answers) expect(other).toMatchObject({ success: true })
      expect(await answer).toMatchObject({ success: false, errorReason: 'invalid_exact_evm_transaction_failed' })
      expect(await node.sent()).toBe(2)
    } finally {
      await node.close()
    }
  })

  test('a payer past its cap of settlements in flight waits its turn: all settle, never more than the cap at once', async () => {
    const node = startNode(6, { batch: { maxSize: 8, maxWaitMs: 500 }, maxInFlightPerPayer: 2 })
    try {
      const payer = f.chain.accounts.payers[3]
      if (!payer) throw new Error('no payer')
      const bodies = await Promise.all([0, 1, 2].map(async () => f.bodyV2(await f.sign(payer))))
      let most = 0
      const sampler = setInterval(() => {
        most = Math.max(most, node.facilitator.payerLimits.inFlight(f.chain.network, payer.address))
      }, 5)
      const answers = await Promise.all(bodies.map((body) => node.post('/settle', body))).finally(() =>
        clearInterval(sampler),
      )
      expect(answers.filter((answer) => answer.success === true)).toHaveLength(3)
      expect(most).toBe(2)
      // The slots are given back once the settlements answered.
      expect(node.facilitator.payerLimits.inFlight(f.chain.network, payer.address)).toBe(0)
      expect(await node.post('/settle', f.bodyV2(await f.sign(payer)))).toMatchObject({ success: true })
    } finally {
      await node.close()
    }
  })
})
