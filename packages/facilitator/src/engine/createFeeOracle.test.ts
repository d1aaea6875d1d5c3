import { createClient, custom } from 'viem'
import { describe, expect, test } from 'vitest'
import { createFeeOracle } from './createFeeOracle.ts'

/** A node that answers the two fee reads and counts them; the base fee is the test's. */
function feeNode(baseFee: { wei: bigint }) {
  const calls: string[] = []
  const client = createClient({
    transport: custom({
      async request({ method }: { method: string }) {
        calls.push(method)
        if (method === 'eth_maxPriorityFeePerGas') return '0x64' // 100 wei
        if (method === 'eth_getBlockByNumber')
          return { number: '0x1', hash: `0x${'11'.repeat(32)}`, baseFeePerGas: `0x${baseFee.wei.toString(16)}` }
        throw new Error(`unexpected ${method}`)
      },
    }),
  })
  return { client, calls }
}

describe('createFeeOracle', () => {
  test('behavior: one reading serves until ttlMs has passed on its clock, then the fees are read again', async () => {
    const baseFee = { wei: 1_000n }
    const { client, calls } = feeNode(baseFee)
    const at = { ms: 0 }
    const fees = createFeeOracle(client, { ttlMs: 2_000, clock: () => at.ms })
    expect(await fees()).toEqual({ maxFeePerGas: 2_100n, maxPriorityFeePerGas: 100n })
    baseFee.wei = 5_000n
    at.ms = 1_999
    expect((await fees()).maxFeePerGas).toBe(2_100n)
    expect(calls).toHaveLength(2)
    at.ms = 2_000
    expect(await fees()).toEqual({ maxFeePerGas: 10_100n, maxPriorityFeePerGas: 100n })
    expect(calls).toHaveLength(4)
  })

  test('behavior: maxFeePerGas is capped, and the tip never exceeds it', async () => {
    const { client } = feeNode({ wei: 1_000_000n })
    const fees = createFeeOracle(client, { maxFeePerGas: 50n, clock: () => 0 })
    expect(await fees()).toEqual({ maxFeePerGas: 50n, maxPriorityFeePerGas: 50n })
  })
})
