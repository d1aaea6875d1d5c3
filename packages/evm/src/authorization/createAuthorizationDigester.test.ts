import { assets } from '@tollgate/protocol'
import { hashTypedData, toHex } from 'viem'
import { expect, test } from 'vitest'
import { createAuthorizationDigester } from './createAuthorizationDigester.ts'
import { transferWithAuthorizationTypes } from './transferWithAuthorizationTypes.ts'

const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 10_000n,
  validAfter: 0n,
  validBefore: 1_900_000_000n,
  nonce: `0x${'a5'.repeat(32)}`,
} as const

test('default: the digest under the asset table domain, whatever the address casing', () => {
  const digest = createAuthorizationDigester({ chainId: 84532 })
  const usdc = assets['eip155:84532']
  const expected = hashTypedData({
    domain: { name: usdc.name, version: usdc.version, chainId: 84532, verifyingContract: usdc.address },
    types: transferWithAuthorizationTypes,
    primaryType: 'TransferWithAuthorization',
    message: authorization,
  })
  expect(toHex(digest(usdc.address.toLowerCase() as `0x${string}`, authorization) as Uint8Array)).toBe(expected)
})

test('behavior: an asset of another chain or unknown is undefined', () => {
  const digest = createAuthorizationDigester({ chainId: 8453 })
  expect(digest(assets['eip155:84532'].address, authorization)).toBeUndefined()
})
