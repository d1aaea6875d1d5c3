import {
  decodeHeader,
  encodeHeader,
  type PaymentRequiredV2,
  paymentPayloadSchema,
  paymentRequiredV2Schema,
} from '@tollgate/protocol'
import { recoverTypedDataAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { chainIdOf, newAuthorization, paymentPayload, randomNonce, transferTypedData } from './authorization.ts'
import { decodeBase64Json, encodeBase64Json } from './base64Json.ts'
import { formatUnits } from './formatUnits.ts'

// anvil dev account #2 (a public test key).
const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const usdc = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
const required: PaymentRequiredV2 = {
  x402Version: 2,
  error: 'payment_required',
  resource: { url: 'http://api.test/weather', description: 'Current weather — «météo»', mimeType: 'application/json' },
  accepts: [
    {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '1000',
      asset: usdc,
      payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      maxTimeoutSeconds: 300,
      extra: { name: 'USD Coin', version: '2' },
    },
  ],
  extensions: { bazaar: { info: { input: { type: 'http', method: 'GET' } } } },
}
const offer = required.accepts[0] as PaymentRequiredV2['accepts'][number]
const nonce = `0x${'5a'.repeat(32)}` as const

describe('the payment the page sends', () => {
  test('default: the authorization pays the offer exactly, every number a decimal string', () => {
    expect(newAuthorization(offer, { from: payer.address, now: 1_800_000_000, nonce })).toEqual({
      from: payer.address,
      to: offer.payTo,
      value: '1000',
      validAfter: '1799999400',
      validBefore: '1800000300',
      nonce,
    })
    expect(randomNonce()).toMatch(/^0x[0-9a-f]{64}$/)
    expect(randomNonce()).not.toBe(randomNonce())
    expect(chainIdOf('eip155:84532')).toBe(84532)
    expect(chainIdOf('solana:mainnet')).toBeUndefined()
  })

  test('behavior: the header is encoded as @tollgate/protocol encodes it, and parses as a v2 payment', () => {
    const authorization = newAuthorization(offer, { from: payer.address, now: 1_800_000_000, nonce })
    const payload = paymentPayload(required, offer, `0x${'11'.repeat(65)}`, authorization)
    const header = encodeBase64Json(payload)
    expect(header).toBe(encodeHeader(payload))
    expect(decodeHeader(paymentPayloadSchema, header)).toEqual({
      x402Version: 2,
      resource: required.resource,
      accepted: offer,
      payload: { signature: `0x${'11'.repeat(65)}`, authorization },
      extensions: required.extensions,
    })
    expect(decodeBase64Json(encodeHeader(required))).toEqual(
      decodeHeader(paymentRequiredV2Schema, encodeHeader(required)),
    )
    expect(decodeBase64Json('not base64 of json')).toBeUndefined()
    expect(decodeBase64Json(null)).toBeUndefined()
  })

  test('behavior: a wallet signing the typed data as JSON signs the USDC TransferWithAuthorization of the offer', async () => {
    const authorization = newAuthorization(offer, { from: payer.address, now: 1_800_000_000, nonce })
    // What eth_signTypedData_v4 receives: a JSON string; the wallet hashes it with its EIP712Domain.
    const { types, domain, message, primaryType } = JSON.parse(JSON.stringify(transferTypedData(offer, authorization)))
    const { EIP712Domain, ...messageTypes } = types
    expect(EIP712Domain.map((field: { name: string }) => field.name)).toEqual([
      'name',
      'version',
      'chainId',
      'verifyingContract',
    ])
    const signature = await payer.signTypedData({ domain, types: messageTypes, primaryType, message })
    const recovered = await recoverTypedDataAddress({
      domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: usdc },
      types: {
        TransferWithAuthorization: [
          { name: 'from', type: 'address' },
          { name: 'to', type: 'address' },
          { name: 'value', type: 'uint256' },
          { name: 'validAfter', type: 'uint256' },
          { name: 'validBefore', type: 'uint256' },
          { name: 'nonce', type: 'bytes32' },
        ],
      },
      primaryType: 'TransferWithAuthorization',
      message: {
        from: payer.address,
        to: offer.payTo as `0x${string}`,
        value: 1000n,
        validAfter: 1_799_999_400n,
        validBefore: 1_800_000_300n,
        nonce,
      },
      signature,
    })
    expect(recovered).toBe(payer.address)
  })

  test('behavior: amounts show in the asset unit without trailing zeros', () => {
    expect(formatUnits(1000n, 6)).toBe('0.001')
    expect(formatUnits(1_000_000_000n, 6)).toBe('1000')
    expect(formatUnits(1_500_000n, 6)).toBe('1.5')
    expect(formatUnits(0n, 6)).toBe('0')
    expect(formatUnits(7n, 0)).toBe('7')
  })
})
