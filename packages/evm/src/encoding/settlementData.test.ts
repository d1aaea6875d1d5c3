/** The settlement call, as viem encodes the same calls: one payment, an ERC-6492 deployment, and a batch. */
import { encodeFunctionData, type Hex, multicall3Abi } from 'viem'
import { describe, expect, test } from 'vitest'
import { multicall3Address } from './aggregate3.ts'
import { eip3009Abi } from './eip3009Abi.ts'
import { settlementData } from './settlementData.ts'
import { tryAggregateAbi } from './tryAggregate.ts'

const asset = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 1_000n,
  validAfter: 0n,
  validBefore: 1_800_000_000n,
  nonce: `0x${'ab'.repeat(32)}`,
} as const
const args = [
  authorization.from,
  authorization.to,
  authorization.value,
  authorization.validAfter,
  authorization.validBefore,
  authorization.nonce,
] as const
const eoa: Hex = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b`
const wallet: Hex = `0x${'33'.repeat(97)}`
const vrs = encodeFunctionData({
  abi: eip3009Abi,
  functionName: 'transferWithAuthorization',
  args: [...args, 27, `0x${'11'.repeat(32)}`, `0x${'22'.repeat(32)}`],
})
const bytes = encodeFunctionData({
  abi: eip3009Abi,
  functionName: 'transferWithAuthorization',
  args: [...args, wallet],
})
const aggregate3 = (calls: { target: Hex; allowFailure: boolean; callData: Hex }[]) =>
  encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [calls] }).toLowerCase()

describe('settlementData', () => {
  test('default: one payment is transferWithAuthorization on the asset, either overload', () => {
    expect(settlementData([{ asset, authorization, signature: { kind: 'eoa', signature: eoa } }])).toEqual({
      to: asset,
      data: vrs.toLowerCase(),
    })
    expect(settlementData([{ asset, authorization, signature: { kind: 'erc1271', signature: wallet } }])).toEqual({
      to: asset,
      data: bytes.toLowerCase(),
    })
  })

  test('behavior: an undeployed ERC-6492 wallet is deployed first, in a batch whose transfer may not fail', () => {
    const factory = '0x4e59b44847b379578588920cA78FbF26c0B4956C'
    const signature = { kind: 'erc6492', signature: wallet, factory, factoryData: '0xdeadbeef' } as const
    expect(settlementData([{ asset, authorization, signature }])).toEqual({
      to: multicall3Address,
      data: aggregate3([
        { target: factory, allowFailure: true, callData: '0xdeadbeef' },
        { target: asset, allowFailure: false, callData: bytes },
      ]),
    })
  })

  test('behavior: several payments are one tryAggregate(false) in which each may fail alone, to the given Multicall3', () => {
    const multicallAddress = '0x000000000000000000000000000000000000cA11'
    const payments = [
      { asset, authorization, signature: { kind: 'eoa', signature: eoa } },
      { asset, authorization, signature: { kind: 'erc1271', signature: wallet } },
    ] as const
    expect(settlementData(payments, { multicallAddress })).toEqual({
      to: multicallAddress,
      data: encodeFunctionData({
        abi: tryAggregateAbi,
        functionName: 'tryAggregate',
        args: [
          false,
          [
            { target: asset, callData: vrs },
            { target: asset, callData: bytes },
          ],
        ],
      }),
    })
  })
})
