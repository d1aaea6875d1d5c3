/**
 * Interop of @tollgate/protocol's codecs and schemas with the official packages: `@x402/core` 2.x
 * (v2) and `x402` 1.x (v1). What they produce decodes with ours, and what we produce decodes with
 * theirs. Signing is offline (EIP-3009 needs no RPC), so no chain is started.
 */
import {
  decodeHeader,
  encodeHeader,
  exactEvmPayloadSchema,
  facilitatorRequestSchema,
  type PaymentRequiredV1,
  type PaymentRequiredV2,
  paymentPayloadSchema,
  paymentPayloadV1Schema,
  paymentPayloadV2Schema,
  paymentRequiredV1Schema,
  paymentRequiredV2Schema,
  settleResponseSchema,
  supportedResponseSchema,
  verifyResponseSchema,
} from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import {
  decodePaymentRequiredHeader,
  decodePaymentResponseHeader,
  decodePaymentSignatureHeader,
  encodePaymentRequiredHeader,
  encodePaymentResponseHeader,
  encodePaymentSignatureHeader,
} from '@x402/core/http'
import { PaymentPayloadV2Schema, PaymentRequiredV1Schema, PaymentRequiredV2Schema } from '@x402/core/schemas'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { privateKeyToAccount } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { createPaymentHeader } from 'x402/client'
import { decodePayment } from 'x402/schemes'
import {
  PaymentRequirementsSchema as LegacyRequirementsSchema,
  SettleResponseSchema as LegacySettleResponseSchema,
  SupportedPaymentKindsResponseSchema as LegacySupportedSchema,
  VerifyResponseSchema as LegacyVerifyResponseSchema,
  settleResponseHeader,
} from 'x402/types'

// anvil dev account #2 (a public test key)
const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
const usdc = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'

const paymentRequiredV2: PaymentRequiredV2 = {
  x402Version: 2,
  error: 'Payment required',
  resource: { url: 'http://127.0.0.1:4021/weather', description: 'Weather', mimeType: 'application/json' },
  accepts: [
    {
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '1000',
      asset: usdc,
      payTo,
      maxTimeoutSeconds: 60,
      extra: { name: 'USD Coin', version: '2' },
    },
  ],
}

const paymentRequiredV1: PaymentRequiredV1 = {
  x402Version: 1,
  error: 'X-PAYMENT header is required',
  accepts: [
    {
      scheme: 'exact',
      network: 'base',
      maxAmountRequired: '1000',
      resource: 'http://127.0.0.1:4021/weather',
      description: 'Weather',
      mimeType: 'application/json',
      payTo,
      maxTimeoutSeconds: 60,
      asset: usdc,
      extra: { name: 'USD Coin', version: '2' },
    },
  ],
}

describe('v2 (@x402/core 2.x)', () => {
  test('their payment header decodes with ours', async () => {
    const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
    const payload = await client.createPaymentPayload(
      decodePaymentRequiredHeader(encodePaymentRequiredHeader(paymentRequiredV2 as never)),
    )
    const header = encodePaymentSignatureHeader(payload)

    const decoded = decodeHeader(paymentPayloadSchema, header)
    expect(decoded.x402Version).toBe(2)
    if (decoded.x402Version !== 2) throw new Error('unreachable')
    expect(decoded.accepted).toEqual(paymentRequiredV2.accepts[0])
    const exact = exactEvmPayloadSchema.parse(decoded.payload)
    expect(exact.authorization).toMatchObject({ from: payer.address, to: payTo, value: '1000', validAfter: '0' })
    expect(exact.signature).toMatch(/^0x[0-9a-f]{130}$/)
  })

  test('our payment header decodes with theirs', async () => {
    const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
    const theirs = await client.createPaymentPayload(paymentRequiredV2 as never)
    const ours = paymentPayloadV2Schema.parse(JSON.parse(JSON.stringify(theirs)))
    const decoded = decodePaymentSignatureHeader(encodeHeader(ours))
    expect(PaymentPayloadV2Schema.parse(decoded)).toEqual(theirs)
  })

  test('our PAYMENT-REQUIRED decodes with theirs, and theirs with ours', () => {
    const theirs = decodePaymentRequiredHeader(encodeHeader(paymentRequiredV2))
    expect(PaymentRequiredV2Schema.parse(theirs)).toEqual(paymentRequiredV2)
    const ours = decodeHeader(paymentRequiredV2Schema, encodePaymentRequiredHeader(paymentRequiredV2 as never))
    expect(ours).toEqual(paymentRequiredV2)
  })

  test('PAYMENT-RESPONSE both ways, success and failure', () => {
    const responses = [
      { success: true, transaction: `0x${'ab'.repeat(32)}`, network: 'eip155:8453', payer: payer.address },
      { success: false, errorReason: 'insufficient_funds', transaction: '', network: 'eip155:8453' },
    ]
    for (const response of responses) {
      expect(decodePaymentResponseHeader(encodeHeader(response))).toEqual(response)
      expect(decodeHeader(settleResponseSchema, encodePaymentResponseHeader(response as never))).toEqual(response)
    }
  })
})

describe('v1 (x402 1.x)', () => {
  test('their X-PAYMENT header decodes with ours', async () => {
    const requirements = paymentRequiredV1.accepts[0]
    const header = await createPaymentHeader(payer as never, 1, requirements as never)

    const decoded = decodeHeader(paymentPayloadSchema, header)
    expect(decoded).toMatchObject({ x402Version: 1, scheme: 'exact', network: 'base' })
    const exact = exactEvmPayloadSchema.parse(decoded.payload)
    expect(exact.authorization).toMatchObject({ from: payer.address, to: payTo, value: '1000' })
    expect(BigInt(exact.authorization.validAfter)).toBeGreaterThan(0n)
  })

  test('our X-PAYMENT header decodes with theirs', async () => {
    const theirs = decodePayment(await createPaymentHeader(payer as never, 1, paymentRequiredV1.accepts[0] as never))
    const ours = paymentPayloadV1Schema.parse(theirs)
    expect(decodePayment(encodeHeader(ours))).toEqual(theirs)
  })

  test('our v1 402 body passes the strict legacy client schema', () => {
    const body = paymentRequiredV1Schema.parse(JSON.parse(JSON.stringify(paymentRequiredV1)))
    for (const requirements of body.accepts) {
      expect(LegacyRequirementsSchema.parse(requirements)).toEqual(requirements)
    }
    expect(PaymentRequiredV1Schema.parse(body)).toEqual(body)
  })

  test('X-PAYMENT-RESPONSE both ways', () => {
    const response = { success: true, transaction: `0x${'cd'.repeat(32)}`, network: 'base', payer: payer.address }
    expect(decodeHeader(settleResponseSchema, settleResponseHeader(response as never))).toEqual(response)
    expect(LegacySettleResponseSchema.parse(JSON.parse(atob(encodeHeader(response))))).toEqual(response)
  })
})

describe('facilitator API bodies', () => {
  test('legacy and v2 facilitator answers parse with ours, ours with legacy', () => {
    const verify = { isValid: false, invalidReason: 'insufficient_funds', payer: payer.address }
    expect(verifyResponseSchema.parse(LegacyVerifyResponseSchema.parse(verify))).toEqual(verify)
    const supported = { kinds: [{ x402Version: 1, scheme: 'exact', network: 'base' }] }
    expect(supportedResponseSchema.parse(LegacySupportedSchema.parse(supported))).toEqual({
      ...supported,
      extensions: [],
      signers: {},
    })
  })

  test('a v1 and a v2 verify request parse, a mixed one does not', async () => {
    const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
    const v2 = await client.createPaymentPayload(paymentRequiredV2 as never)
    const v1 = decodePayment(await createPaymentHeader(payer as never, 1, paymentRequiredV1.accepts[0] as never))
    const [requirementsV2] = paymentRequiredV2.accepts
    const [requirementsV1] = paymentRequiredV1.accepts
    expect(
      facilitatorRequestSchema.safeParse({ x402Version: 2, paymentPayload: v2, paymentRequirements: requirementsV2 })
        .success,
    ).toBe(true)
    expect(
      facilitatorRequestSchema.safeParse({ paymentPayload: v1, paymentRequirements: requirementsV1 }).success,
    ).toBe(true)
    expect(
      facilitatorRequestSchema.safeParse({ paymentPayload: v1, paymentRequirements: requirementsV2 }).success,
    ).toBe(false)
    expect(
      facilitatorRequestSchema.safeParse({ x402Version: 1, paymentPayload: v2, paymentRequirements: requirementsV2 })
        .success,
    ).toBe(false)
  })
})
