import { hashTypedData, keccak256, toBytes, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { authorizationDigest } from './authorizationDigest.ts'
import { domainSeparator } from './domainSeparator.ts'
import type { ExactAuthorization } from './toExactAuthorization.ts'
import { transferWithAuthorizationTypeHash, transferWithAuthorizationTypes } from './transferWithAuthorizationTypes.ts'

const domain = {
  name: 'USD Coin',
  version: '2',
  chainId: 8453,
  verifyingContract: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
} as const
const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: 10_000n,
  validAfter: 0n,
  validBefore: 1_900_000_000n,
  nonce: `0x${'a5'.repeat(32)}`,
} as const

const viemDigest = (message: ExactAuthorization, d = domain) =>
  hashTypedData({ domain: d, types: transferWithAuthorizationTypes, primaryType: 'TransferWithAuthorization', message })

describe('authorizationDigest', () => {
  test('default: equals viem hashTypedData', () => {
    expect(toHex(authorizationDigest(domainSeparator(domain), authorization) as Uint8Array)).toBe(
      viemDigest(authorization),
    )
  })

  test('behavior: separator as bytes or hex, extreme values', () => {
    const message = {
      ...authorization,
      value: 2n ** 256n - 1n,
      validAfter: 1_740_000_000n,
      nonce: `0x${'00'.repeat(32)}`,
    } as const
    const separator = domainSeparator(domain)
    expect(toHex(authorizationDigest(toBytes(separator), message) as Uint8Array)).toBe(viemDigest(message))
  })

  test('behavior: the domain decides the digest (Base Sepolia name)', () => {
    const sepolia = { ...domain, name: 'USDC', chainId: 84532 }
    expect(toHex(authorizationDigest(domainSeparator(sepolia), authorization) as Uint8Array)).toBe(
      viemDigest(authorization, sepolia as never),
    )
  })

  test('behavior: malformed hex is undefined', () => {
    expect(authorizationDigest(domainSeparator(domain), { ...authorization, nonce: '0x1234' })).toBeUndefined()
    expect(
      authorizationDigest(domainSeparator(domain), { ...authorization, from: `0x${'zz'.repeat(20)}` }),
    ).toBeUndefined()
  })

  test('behavior: type hash is FiatToken TRANSFER_WITH_AUTHORIZATION_TYPEHASH', () => {
    expect(toHex(transferWithAuthorizationTypeHash)).toBe(
      keccak256(
        toBytes(
          'TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)',
        ),
      ),
    )
    expect(toHex(transferWithAuthorizationTypeHash)).toMatchInlineSnapshot(
      `"0x7c7c6cdb67a18743f49ec6fa9b35f50d52ed05cbed4cc592e13b44501c1a2267"`,
    )
  })
})
