import { encodeFunctionData } from 'viem'
import { expect, test } from 'vitest'
import { eip3009Abi } from './eip3009Abi.ts'
import { transferWithAuthorizationData } from './transferWithAuthorizationData.ts'

const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 10_000n,
  validAfter: 0n,
  validBefore: 1_900_000_000n,
  nonce: `0x${'a5'.repeat(32)}`,
} as const
const args = [
  authorization.from,
  authorization.to,
  authorization.value,
  authorization.validAfter,
  authorization.validBefore,
  authorization.nonce,
] as const

test('default: a 65-byte signature uses the (v, r, s) overload', () => {
  const r = `0x${'11'.repeat(32)}` as const
  const s = `0x${'22'.repeat(32)}` as const
  const signature = `0x${'11'.repeat(32)}${'22'.repeat(32)}1c` as const
  expect(transferWithAuthorizationData(authorization, signature)).toBe(
    encodeFunctionData({
      abi: eip3009Abi,
      functionName: 'transferWithAuthorization',
      args: [...args, 28, r, s],
    }).toLowerCase(),
  )
})

test('behavior: any other length uses the bytes overload', () => {
  for (const signature of [`0x${'ab'.repeat(66)}`, `0x${'cd'.repeat(64)}`, `0x${'ef'.repeat(300)}`] as const) {
    expect(transferWithAuthorizationData(authorization, signature)).toBe(
      encodeFunctionData({
        abi: eip3009Abi,
        functionName: 'transferWithAuthorization',
        args: [...args, signature],
      }).toLowerCase(),
    )
  }
})
