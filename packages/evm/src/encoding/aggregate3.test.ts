import { decodeFunctionResult, encodeAbiParameters, encodeFunctionData, multicall3Abi } from 'viem'
import { describe, expect, test } from 'vitest'
import { decodeAggregate3Result, encodeAggregate3, multicall3Address } from './aggregate3.ts'

const calls = [
  { target: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913', allowFailure: true, callData: '0x5c975abb' },
  { target: '0x0000000000000000000000000000000000000001', allowFailure: false, callData: '0x' },
  {
    target: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    allowFailure: true,
    callData: `0x${'ab'.repeat(33)}`,
  },
] as const

describe('encodeAggregate3', () => {
  test('default: equals viem encodeFunctionData', () => {
    expect(encodeAggregate3(calls)).toBe(
      encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [calls] }).toLowerCase(),
    )
  })

  test('behavior: empty batch', () => {
    expect(encodeAggregate3([])).toBe(
      encodeFunctionData({ abi: multicall3Abi, functionName: 'aggregate3', args: [[]] }),
    )
  })

  test('behavior: the canonical address', () => {
    expect(multicall3Address).toMatchInlineSnapshot(`"0xcA11bde05977b3631167028862bE2a173976CA11"`)
  })
})

describe('decodeAggregate3Result', () => {
  const results = [
    { success: true, returnData: `0x${'00'.repeat(31)}01` },
    { success: false, returnData: '0x' },
    { success: true, returnData: `0x${'cd'.repeat(70)}` },
  ] as const
  const encoded = encodeAbiParameters(
    [
      {
        type: 'tuple[]',
        components: [
          { type: 'bool', name: 'success' },
          { type: 'bytes', name: 'returnData' },
        ],
      },
    ],
    [results],
  )

  test('default: equals viem decodeFunctionResult', () => {
    const viem = decodeFunctionResult({ abi: multicall3Abi, functionName: 'aggregate3', data: encoded })
    expect(decodeAggregate3Result(encoded)).toEqual(viem)
  })

  test('behavior: 0x (no code at the address) does not decode', () => {
    expect(decodeAggregate3Result('0x')).toBeUndefined()
  })

  test('behavior: truncated data does not decode', () => {
    expect(decodeAggregate3Result(encoded.slice(0, encoded.length - 64) as `0x${string}`)).toBeUndefined()
  })

  test('behavior: garbage lengths do not decode', () => {
    expect(decodeAggregate3Result(`0x${'ff'.repeat(96)}`)).toBeUndefined()
  })
})
