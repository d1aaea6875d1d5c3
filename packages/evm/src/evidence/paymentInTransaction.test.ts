import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { encodeAggregate3, multicall3Address } from '../encoding/aggregate3.ts'
import { transferWithAuthorizationData } from '../encoding/transferWithAuthorizationData.ts'
import { encodeTryAggregate } from '../encoding/tryAggregate.ts'
import { paymentInTransaction } from './paymentInTransaction.ts'

// anvil's public dev key #0 (the facilitator signer in tests).
const signer = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const asset: Address = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const payer: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const authorization = (n: number) => ({
  from: payer,
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as Address,
  value: 10_000n,
  validAfter: 0n,
  validBefore: 1_900_000_000n,
  nonce: `0x${n.toString(16).padStart(64, '0')}` as Hex,
})
// r ‖ s ‖ v (v = 27): the v,r,s overload; longer: the bytes overload (ERC-1271).
const eoaSignature = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b` as Hex
const walletSignature = `0x${'33'.repeat(100)}` as Hex

const signed = (to: Hex, data: Hex) =>
  signer.signTransaction({
    type: 'eip1559',
    chainId: 8453,
    nonce: 7,
    to,
    data,
    gas: 200_000n,
    maxFeePerGas: 2n,
    maxPriorityFeePerGas: 1n,
  })

describe('paymentInTransaction', () => {
  test('default: reads the authorization and the 65-byte signature back from a v,r,s call', async () => {
    const raw = await signed(asset, transferWithAuthorizationData(authorization(1), eoaSignature))
    expect(paymentInTransaction(raw, { asset, payer, nonce: authorization(1).nonce })).toEqual({
      authorization: authorization(1),
      signature: eoaSignature,
    })
  })

  test('behavior: the bytes overload, and one payment out of a Multicall3 batch', async () => {
    const calls = [1, 2, 3].map((n) => ({
      target: asset,
      allowFailure: true,
      callData: transferWithAuthorizationData(authorization(n), n === 2 ? walletSignature : eoaSignature),
    }))
    const raw = await signed(multicall3Address, encodeAggregate3(calls))
    expect(paymentInTransaction(raw, { asset, payer, nonce: authorization(2).nonce })).toEqual({
      authorization: authorization(2),
      signature: walletSignature,
    })
    // The settler's batches: tryAggregate(false, calls).
    const tried = await signed(multicall3Address, encodeTryAggregate(calls))
    expect(paymentInTransaction(tried, { asset, payer, nonce: authorization(3).nonce })).toEqual({
      authorization: authorization(3),
      signature: eoaSignature,
    })
  })

  test('behavior: another authorization, another asset, or bytes that are no transaction: undefined', async () => {
    const raw = await signed(asset, transferWithAuthorizationData(authorization(1), eoaSignature))
    expect(paymentInTransaction(raw, { asset, payer, nonce: authorization(9).nonce })).toBeUndefined()
    expect(paymentInTransaction(raw, { asset: payer, payer, nonce: authorization(1).nonce })).toBeUndefined()
    expect(paymentInTransaction('0x1234', { asset, payer, nonce: authorization(1).nonce })).toBeUndefined()
  })
})
