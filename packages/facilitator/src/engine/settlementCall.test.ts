/** The settlement transaction: evm's calldata for the payments, with the gas limit of their kinds. */
import { encodeAggregate3, encodeTryAggregate, transferWithAuthorizationData } from '@tollgate/evm'
import type { Hex } from 'viem'
import { describe, expect, test } from 'vitest'
import { defaultSettlementGas, settlementCall } from './settlementCall.ts'

const asset = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const multicallAddress = '0xcA11bde05977b3631167028862bE2a173976CA11'
const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 1_000n,
  validAfter: 0n,
  validBefore: 1_800_000_000n,
  nonce: `0x${'ab'.repeat(32)}`,
} as const
const eoa: Hex = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b`
const wallet: Hex = `0x${'33'.repeat(97)}`
const options = { gas: defaultSettlementGas, multicallAddress } as const

describe('settlementCall', () => {
  test('behavior: one payment, an ERC-6492 deployment and a batch', () => {
    expect(settlementCall([{ asset, authorization, signature: { kind: 'eoa', signature: eoa } }], options)).toEqual({
      to: asset,
      data: transferWithAuthorizationData(authorization, eoa),
      gas: 150_000n,
    })
    const factory = '0x4e59b44847b379578588920cA78FbF26c0B4956C'
    const deployed = settlementCall(
      [{ asset, authorization, signature: { kind: 'erc6492', signature: wallet, factory, factoryData: '0xdeadbeef' } }],
      options,
    )
    expect(deployed).toEqual({
      to: multicallAddress,
      data: encodeAggregate3([
        { target: factory, allowFailure: true, callData: '0xdeadbeef' },
        { target: asset, allowFailure: false, callData: transferWithAuthorizationData(authorization, wallet) },
      ]),
      gas: 1_500_000n,
    })
    const other = { ...authorization, nonce: `0x${'cd'.repeat(32)}` as Hex }
    const batch = settlementCall(
      [
        { asset, authorization, signature: { kind: 'eoa', signature: eoa } },
        { asset, authorization: other, signature: { kind: 'eoa', signature: eoa } },
      ],
      options,
    )
    expect(batch).toEqual({
      to: multicallAddress,
      data: encodeTryAggregate([
        { target: asset, callData: transferWithAuthorizationData(authorization, eoa) },
        { target: asset, callData: transferWithAuthorizationData(other, eoa) },
      ]),
      gas: 340_000n,
    })
  })
})
