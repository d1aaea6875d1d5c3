/**
 * The `npm start` stack (scripts/stack.ts) on free ports: chain, facilitator and demo start, the
 * official client's payment moves exactly the price (for GET /weather and for the MCP tool get_forecast), and stop()
 * leaves nothing listening.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { payDemo, payDemoTool, type Stack, startStack } from '../../scripts/stack.ts'

let stack: Stack | undefined
let dataDir: string | undefined

afterAll(async () => {
  await stack?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

test('default: the stack starts, the demo payment settles on chain, stop() ends everything', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-stack-'))
  const lines: string[] = []
  stack = await startStack({ chainPort: 0, facilitatorPort: 0, demoPort: 0, dataDir, log: (line) => lines.push(line) })
  expect(lines.map((line) => line.split(/\s+/)[0])).toEqual(['local', 'facilitator', 'demo'])
  expect((await stat(dataDir)).isDirectory()).toBe(true)

  const payment = await payDemo(stack, { log: (line) => lines.push(line) })
  expect(payment.status).toBe(200)
  expect(payment.price).toBe(1000n)
  expect(payment.after.seller - payment.before.seller).toBe(1000n)
  expect(payment.before.payer - payment.after.payer).toBe(1000n)
  expect(payment.transaction).toMatch(/^0x[0-9a-f]{64}$/)
  expect(lines.join('\n')).toContain('quote: 0.001 USDC (1000 atomic) on eip155:8453')

  const tool = await payDemoTool(stack, { log: (line) => lines.push(line) })
  expect(tool.tools.sort()).toEqual(['get_forecast', 'list_cities'])
  expect(tool.price).toBe(2000n)
  expect(tool.after.seller - tool.before.seller).toBe(2000n)
  expect(tool.before.payer - tool.after.payer).toBe(2000n)
  expect(tool.result).toMatchObject({ city: 'Tokyo', days: [{ day: 1 }, { day: 2 }] })
  expect(lines.join('\n')).toContain('tools/call get_forecast {"city":"Tokyo","days":2} -> isError, PaymentRequired')

  const urls = [stack.chain.url, `${stack.facilitator.url}/health`, `${stack.demo.url}/health`]
  await stack.stop()
  for (const url of urls) await expect(fetch(url)).rejects.toThrow()
})

test('behavior: TOLLGATE_DEMO_DELIVERY=optimistic on a chain with blocks every 2 s serves /weather before its block', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-stack-'))
  const lines: string[] = []
  const optimistic = await startStack({
    chainPort: 0,
    facilitatorPort: 0,
    demoPort: 0,
    dataDir: dir,
    delivery: 'optimistic',
    blockTime: 2,
  })
  try {
    const payment = await payDemo(optimistic, { log: (line) => lines.push(line) })
    expect(payment.status).toBe(200)
    // Served once broadcast; the balances are read once the settlement is in its block.
    expect(lines.join('\n')).toContain('delivery:    optimistic (served once the settlement was broadcast')
    expect(lines.join('\n')).toMatch(/settled: {5}block \d+/)
    expect(payment.after.seller - payment.before.seller).toBe(1000n)
  } finally {
    await optimistic.stop()
    await rm(dir, { recursive: true, force: true })
  }
})
