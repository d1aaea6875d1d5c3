import { transferWithAuthorizationTypes } from '@tollgate/evm'
import { exactEvmPayloadSchema } from '@tollgate/protocol'
import { verifyTypedData } from 'viem'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { devAccounts, devPrivateKeys } from './accounts.ts'
import { testUsdc } from './contracts/artifacts.ts'
import { type LocalChain, payerStartBalance, startLocalChain } from './localChain.ts'
import { multicall3Address } from './multicall3.ts'

let chain: LocalChain
beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(async () => {
  await chain?.stop()
})

test('default: a local Base with funded payers and untouched dev accounts', async () => {
  expect(chain.chainId).toBe(8453)
  expect(chain.network).toBe('eip155:8453')
  expect(chain.chain.id).toBe(8453)
  expect(chain.chain.rpcUrls.default.http).toEqual([chain.url])
  expect(await chain.publicClient.getChainId()).toBe(8453)
  expect(await chain.publicClient.getBlockNumber()).toBeGreaterThanOrEqual(1n)
  expect(devPrivateKeys).toHaveLength(10)
  expect(chain.accounts.facilitator.address).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
  expect(chain.accounts.seller.address).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
  // The same keys anvil derives from its mnemonic.
  const response = await fetch(chain.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_accounts', params: [] }),
  })
  expect(await response.json()).toMatchObject({
    result: [devAccounts.facilitator, devAccounts.seller, ...devAccounts.payers].map(({ address }) =>
      address.toLowerCase(),
    ),
  })
  for (const { address } of [devAccounts.facilitator, devAccounts.seller, ...devAccounts.payers]) {
    expect(await chain.publicClient.getTransactionCount({ address })).toBe(0)
  }
  for (const payer of chain.accounts.payers) expect(await chain.balanceOf(payer.address)).toBe(payerStartBalance)
})

test('behavior: Multicall3 works at its canonical address', async () => {
  expect(chain.chain.contracts?.multicall3?.address.toLowerCase()).toBe(multicall3Address.toLowerCase())
  const results = await chain.publicClient.multicall({
    allowFailure: false,
    contracts: [
      { address: chain.usdc, abi: testUsdc.abi, functionName: 'name' },
      { address: chain.usdc, abi: testUsdc.abi, functionName: 'balanceOf', args: [chain.accounts.payers[0].address] },
    ],
  })
  expect(results).toEqual(['USD Coin', payerStartBalance])
})

test('behavior: signTransferAuthorization returns a valid x402 exact payload', async () => {
  const [payer] = chain.accounts.payers
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 10_000n,
    validAfter: 0n,
    validBefore: 2_000_000_000n,
    nonce: `0x${'ab'.repeat(32)}`,
  })
  expect(exactEvmPayloadSchema.parse(payload)).toEqual(payload)
  expect(payload.authorization).toEqual({
    from: payer.address,
    to: chain.accounts.seller.address,
    value: '10000',
    validAfter: '0',
    validBefore: '2000000000',
    nonce: `0x${'ab'.repeat(32)}`,
  })
  const { authorization: a } = payload
  expect(
    await verifyTypedData({
      address: payer.address,
      domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: chain.usdc },
      types: transferWithAuthorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message: { ...a, value: 10_000n, validAfter: 0n, validBefore: 2_000_000_000n },
      signature: payload.signature,
    }),
  ).toBe(true)
  // Random nonces by default.
  const again = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value: 1n,
    validAfter: 0n,
    validBefore: 2_000_000_000n,
  })
  expect(again.authorization.nonce).toMatch(/^0x[0-9a-f]{64}$/)
  expect(again.authorization.nonce).not.toBe(payload.authorization.nonce)
})

test('behavior: mint adds to the balance and the total supply without a transaction', async () => {
  const holder = '0x000000000000000000000000000000000000dEaD'
  const supply = () =>
    chain.publicClient.readContract({ address: chain.usdc, abi: testUsdc.abi, functionName: 'totalSupply' })
  const before = await supply()
  const block = await chain.publicClient.getBlockNumber()
  await chain.mint({ to: holder, value: 5n })
  await chain.mint({ to: holder, value: 7n })
  expect(await chain.balanceOf(holder)).toBe(12n)
  expect(await supply()).toBe(before + 12n)
  const latest = await chain.publicClient.getBlockNumber()
  for (let number = block + 1n; number <= latest; number++) {
    expect((await chain.publicClient.getBlock({ blockNumber: number })).transactions).toEqual([])
  }
})
