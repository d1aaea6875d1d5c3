import { describe, expect, test } from 'vitest'
import { DecodeError } from '../errors.ts'
import { exactEvmPayloadSchema, paymentPayloadSchema } from '../messages/paymentPayload.ts'
import { paymentRequiredV2Schema } from '../messages/paymentRequired.ts'
import { settleResponseSchema } from '../messages/settleResponse.ts'
import { decodeBase64, encodeBase64 } from './base64.ts'
import { decodeHeader, encodeHeader } from './headerCodec.ts'

const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  value: '10000',
  validAfter: '0',
  validBefore: '1767225600',
  nonce: `0x${'ab'.repeat(32)}`,
}
const accepted = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '10000',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  maxTimeoutSeconds: 60,
  extra: { name: 'USD Coin', version: '2' },
}
const payloadV2 = {
  x402Version: 2,
  resource: { url: 'http://127.0.0.1:4021/weather' },
  accepted,
  payload: { signature: `0x${'11'.repeat(65)}`, authorization },
}

function decodeError(run: () => unknown): DecodeError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError)
    return error as DecodeError
  }
  throw new Error('expected a DecodeError')
}

describe('base64', () => {
  test('default', () => {
    expect(encodeBase64('hello')).toBe('aGVsbG8=')
    expect(decodeBase64('aGVsbG8=')).toBe('hello')
  })

  test('behavior: UTF-8 round trip, including non-ASCII and large input', () => {
    for (const text of ['', 'é', '€ and 😀', 'USD₮0', 'x'.repeat(200_000)]) {
      expect(decodeBase64(encodeBase64(text))).toBe(text)
    }
  })

  test('behavior: rejects base64url, whitespace, bad padding and invalid UTF-8', () => {
    expect(decodeBase64('-_-_')).toBeUndefined()
    expect(decodeBase64('aGVs bG8=')).toBeUndefined()
    expect(decodeBase64('aGVsbG8')).toBeUndefined()
    expect(decodeBase64('aGVsbG8==')).toBeUndefined()
    expect(decodeBase64('/w==')).toBeUndefined()
  })
})

describe('decodeHeader', () => {
  test('default', () => {
    const header = encodeHeader(payloadV2)
    const decoded = decodeHeader(paymentPayloadSchema, header)
    expect(decoded).toEqual(payloadV2)
    expect(exactEvmPayloadSchema.parse(decoded.payload).authorization.value).toBe('10000')
  })

  test('behavior: unknown keys survive, so an echoed offer round-trips unchanged', () => {
    const withExtras = { ...payloadV2, accepted: { ...accepted, futureField: [1, 2] }, extensions: { bazaar: {} } }
    const decoded = decodeHeader(paymentPayloadSchema, encodeHeader(withExtras))
    expect(decoded).toEqual(withExtras)
  })

  test('behavior: the errors have stable codes', () => {
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, undefined)).code).toBe('invalid_payload')
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, '')).code).toBe('invalid_payload')
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, 'not base64!')).code).toBe('invalid_payload')
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, encodeBase64('{oops'))).code).toBe('invalid_payload')
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, encodeHeader({ x402Version: 3 }))).code).toBe(
      'invalid_payload',
    )
    expect(decodeError(() => decodeHeader(paymentPayloadSchema, 'A'.repeat(20_000))).code).toBe('payload_too_large')
    expect(
      decodeError(() => decodeHeader(paymentPayloadSchema, encodeHeader(payloadV2), { maxLength: 100 })).code,
    ).toBe('payload_too_large')
  })

  test('behavior: schema failures say where', () => {
    const bad = { ...payloadV2, accepted: { ...accepted, amount: 10000, network: 'base' } }
    expect(() => decodeHeader(paymentPayloadSchema, encodeHeader(bad))).toThrowErrorMatchingInlineSnapshot(`
      [DecodeError: The header does not match the x402 schema.
      accepted.network: expected a CAIP-2 network id such as eip155:8453
      accepted.amount: Invalid input: expected string, received number]
    `)
  })

  test('behavior: no input makes it throw anything but a DecodeError', () => {
    const inputs: unknown[] = [
      null,
      42,
      {},
      '====',
      encodeBase64('null'),
      encodeBase64('[]'),
      encodeBase64('"str"'),
      encodeBase64(JSON.stringify({ x402Version: 2, accepted: null })),
      encodeBase64(JSON.stringify({ __proto__: { x402Version: 2 } })),
      encodeBase64('\u0000'),
    ]
    for (const input of inputs) {
      decodeError(() => decodeHeader(paymentPayloadSchema, input as string))
    }
  })

  test('behavior: EVM payload fields are validated strictly', () => {
    const cases = [
      { ...authorization, value: '-1' },
      { ...authorization, value: '1.5' },
      { ...authorization, value: 10000 },
      { ...authorization, nonce: '0x1234' },
      { ...authorization, from: '0x123' },
      { ...authorization, validBefore: '1e10' },
      { ...authorization, value: (2n ** 256n).toString() },
    ]
    for (const bad of cases) {
      expect(exactEvmPayloadSchema.safeParse({ signature: '0x11', authorization: bad }).success).toBe(false)
    }
    expect(exactEvmPayloadSchema.safeParse({ signature: '0x', authorization }).success).toBe(false)
    expect(exactEvmPayloadSchema.safeParse({ signature: '0x1', authorization }).success).toBe(false)
  })

  test('behavior: other wire objects decode with their schemas', () => {
    const required = {
      x402Version: 2,
      error: 'Payment required',
      resource: { url: 'http://127.0.0.1:4021/weather', description: '', mimeType: 'application/json' },
      accepts: [accepted],
    }
    expect(decodeHeader(paymentRequiredV2Schema, encodeHeader(required))).toEqual(required)
    const settled = { success: false, errorReason: 'insufficient_funds', transaction: '', network: 'eip155:8453' }
    expect(decodeHeader(settleResponseSchema, encodeHeader(settled))).toEqual(settled)
    expect(() => decodeHeader(settleResponseSchema, encodeHeader({ success: false }))).toThrowError(DecodeError)
  })
})
