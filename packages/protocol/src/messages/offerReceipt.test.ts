import { describe, expect, test } from 'vitest'
import { canonicalJson, receiptIdOf, receiptOf } from './offerReceipt.ts'

describe('canonicalJson', () => {
  test('default: keys sorted by code unit, no whitespace, undefined left out, nested too', () => {
    expect(canonicalJson({ b: 1, a: 'x', c: undefined, B: [{ z: 1, y: null }] })).toBe(
      '{"B":[{"y":null,"z":1}],"a":"x","b":1}',
    )
    expect(canonicalJson({ '\u00e9': 1, e: 2 })).toBe('{"e":2,"\u00e9":1}')
    expect(canonicalJson('line\nbreak "quoted"')).toBe('"line\\nbreak \\"quoted\\""')
    expect(() => canonicalJson({ n: Number.NaN })).toThrow()
  })
})

describe('receiptOf / receiptIdOf', () => {
  test('default: the JWS receipt and the id of a settle answer; anything else is undefined', () => {
    const response = {
      extensions: {
        'offer-receipt': {
          info: { receipt: { format: 'jws', signature: 'a.b.c' }, receiptId: 'AAAAAAAAAAAAAAAAAAAAAA' },
        },
      },
    }
    expect(receiptOf(response)).toEqual({ format: 'jws', signature: 'a.b.c' })
    expect(receiptIdOf(response)).toBe('AAAAAAAAAAAAAAAAAAAAAA')
    expect(
      receiptOf({ extensions: { 'offer-receipt': { info: { receipt: { format: 'eip712', signature: '0x' } } } } }),
    ).toBeUndefined()
    expect(receiptOf({})).toBeUndefined()
    expect(receiptIdOf({ extensions: { 'offer-receipt': { info: { receiptId: '../etc' } } } })).toBeUndefined()
  })
})
