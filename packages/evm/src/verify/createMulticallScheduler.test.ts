import { createClient, custom, decodeFunctionData, encodeAbiParameters, type Hex, multicall3Abi } from 'viem'
import { describe, expect, test } from 'vitest'
import { decodeAggregate3Result } from '../encoding/aggregate3.ts'
import { RpcUnavailableError } from '../errors.ts'
import { createMulticallScheduler } from './createMulticallScheduler.ts'

/** A JSON-RPC endpoint that answers `aggregate3` by echoing each call's data as its return data. */
function echoClient(options: { fail?: boolean; delayMs?: number } = {}) {
  const calls: Hex[] = []
  const client = createClient({
    transport: custom(
      {
        async request({ method, params }) {
          if (method !== 'eth_call') throw new Error(`unexpected ${method}`)
          const data = (params as [{ data: Hex }])[0].data
          calls.push(data)
          if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
          if (options.fail) throw new Error('connection refused')
          return encodeResults(
            decode(data).map((callData) => ({ success: callData !== '0xdead', returnData: callData })),
          )
        },
      },
      { retryCount: 0 },
    ),
  })
  return { client, calls }
}

/** The inner call data of an `aggregate3` call. */
const decode = (data: Hex): Hex[] =>
  (decodeFunctionData({ abi: multicall3Abi, data }).args as unknown as [readonly { callData: Hex }[]])[0].map(
    (call) => call.callData,
  )

const encodeResults = (results: { success: boolean; returnData: Hex }[]): Hex =>
  encodeAbiParameters(
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

const call = (data: Hex) =>
  ({ target: '0x0000000000000000000000000000000000000001', allowFailure: true, callData: data }) as const

describe('createMulticallScheduler', () => {
  test('default: a lone group is one eth_call; reads and effects come back in order', async () => {
    const { client, calls } = echoClient()
    const schedule = createMulticallScheduler(client)
    const result = await schedule({ reads: [call('0x01'), call('0x02')], effects: [call('0x03')] })
    expect(calls).toHaveLength(1)
    expect(result.reads.map((r) => r.returnData)).toEqual(['0x01', '0x02'])
    expect(result.effects.map((r) => r.returnData)).toEqual(['0x03'])
    expect(result.shared).toBe(false)
  })

  test('behavior: groups queued while a call is in flight leave together; all reads run before any effect', async () => {
    const { client, calls } = echoClient({ delayMs: 5 })
    const schedule = createMulticallScheduler(client, { maxInFlight: 1, maxGroups: 50 })
    const groups = Array.from({ length: 21 }, (_, i) => ({
      reads: [call(`0x1${i.toString(16).padStart(3, '0')}` as Hex)],
      effects: [call(`0x2${i.toString(16).padStart(3, '0')}` as Hex)],
    }))
    // The first leaves alone; the other 20 arrive while it is in flight and leave together.
    const first = schedule(groups[0] as (typeof groups)[number])
    await new Promise((resolve) => setTimeout(resolve, 1))
    const results = [await first, ...(await Promise.all(groups.slice(1).map((group) => schedule(group))))]
    expect(calls.length).toBe(2)
    const second = decode(calls[1] as Hex)
    expect(second.slice(0, 20).every((data) => data.startsWith('0x1'))).toBe(true)
    expect(second.slice(20).every((data) => data.startsWith('0x2'))).toBe(true)
    results.forEach((result, i) => {
      expect(result.reads[0]?.returnData).toBe(groups[i]?.reads[0]?.callData)
      expect(result.effects[0]?.returnData).toBe(groups[i]?.effects[0]?.callData)
    })
    expect(results.map((r) => r.shared)).toEqual([false, false, ...Array(19).fill(true)])
  })

  test('behavior: maxGroups splits batches; isolated groups go alone; equal keys are sent once', async () => {
    const { client, calls } = echoClient({ delayMs: 5 })
    const schedule = createMulticallScheduler(client, { maxInFlight: 1, maxGroups: 4 })
    const group = (n: number, key?: string) => ({
      ...(key ? { key } : {}),
      reads: [call(`0x0${n}` as Hex)],
      effects: [],
    })
    const pending = [
      schedule(group(1)),
      schedule(group(2, 'same')),
      schedule(group(3, 'same')),
      schedule(group(4), { isolated: true }),
      schedule(group(5)),
      schedule(group(6)),
      schedule(group(7)),
      schedule(group(8)),
      schedule(group(9)),
    ]
    const results = await Promise.all(pending)
    expect(results[2]).toBe(results[1])
    // [1, 2 (3 joined it)] | [4 isolated] | [5, 6, 7, 8] | [9]
    expect(calls.map((data) => decode(data).length)).toEqual([2, 1, 4, 1])
  })

  test('behavior: a failing RPC rejects every group of the batch with RpcUnavailableError', async () => {
    const { client } = echoClient({ fail: true })
    const schedule = createMulticallScheduler(client)
    await expect(schedule({ reads: [call('0x01')], effects: [] })).rejects.toBeInstanceOf(RpcUnavailableError)
  })

  test('behavior: no Multicall3 at the address', async () => {
    const client = createClient({ transport: custom({ request: async () => '0x' }) })
    const schedule = createMulticallScheduler(client)
    await expect(schedule({ reads: [call('0x01')], effects: [] })).rejects.toThrowErrorMatchingInlineSnapshot(
      `[RpcUnavailableError: Multicall3 is not deployed at 0xcA11bde05977b3631167028862bE2a173976CA11 on this chain.]`,
    )
  })

  test('behavior: the echo transport round-trips through the real decoder', () => {
    expect(decodeAggregate3Result(encodeResults([{ success: false, returnData: '0xdead' }]))).toEqual([
      { success: false, returnData: '0xdead' },
    ])
  })
})
