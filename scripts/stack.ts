/**
 * The local Tollgate stack behind `npm start`, on loopback: the local chain (anvil acting as Base,
 * chain id 8453, at Base's fees (the base fee held at the floor, an L1 data fee), our EIP-3009 test USDC at the
 * real USDC address, our sanctions oracle at the Chainalysis address with a demo list), the Tollgate facilitator (SQLite ledger in a data folder, screening on), and the paid demo API.
 * `startStack()` starts them in that order and returns one `stop()` for all; `payDemo()` pays for `GET /weather`
 * with the official `@x402/fetch` client, `payDemoTool()` for the MCP tool `get_forecast` with the MCP SDK's client
 * and the official `@x402/core` client, and both report what happened.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import {
  decodeHeader,
  formatMoney,
  paymentRequiredV2Schema,
  settleResponseSchema,
  tollgateExtensions,
} from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import type { Address, Hex, LocalAccount } from 'viem'
import { parseDemoConfig } from '../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../apps/demo/src/server.ts'
import { createApiKey } from '../apps/facilitator/src/http/apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from '../apps/facilitator/src/startFacilitator.ts'
import { createSqliteApiKeyStore } from '../apps/facilitator/src/storage/apiKeysSqlite.ts'
import { devPrivateKeys } from '../test/chain/accounts.ts'
import { isPortFree } from '../test/chain/freePort.ts'
import { type LocalChain, startLocalChain } from '../test/chain/localChain.ts'
import { listedDemoPayer } from './screenedPayment.ts'

/** Options of {@link startStack}. Ports default to the documented ones; `0` picks free ports (tests). */
export type StackOptions = {
  /** Default 8545. */
  chainPort?: number
  /** Default 4020. */
  facilitatorPort?: number
  /** Default 4021. */
  demoPort?: number
  /**
   * The facilitator's ledger folder. Default `<repo>/.data/local-stack`. The local chain starts
   * empty on every run, so this folder is emptied at start: a ledger of a previous chain would only
   * point at transactions that no longer exist.
   */
  dataDir?: string
  /** Progress lines. Default: none. */
  log?: (line: string) => void
  /** When the demo's `/weather` is served (`TOLLGATE_DEMO_DELIVERY`). Default `settled`. */
  delivery?: 'optimistic' | 'settled'
  /**
   * Blocks every this many seconds and only then, as on Base (2): a settlement waits for its block.
   * Default: none (every transaction mined at once, plus a block every second).
   */
  blockTime?: number
}

/** The running stack. */
export type Stack = {
  chain: LocalChain
  facilitator: RunningFacilitator
  demo: RunningDemo
  dataDir: string
  /** Stops the demo, the facilitator and anvil, in that order. Safe to call twice. */
  stop(): Promise<void>
}

const root = join(import.meta.dirname, '..')

/**
 * Starts chain, facilitator and demo on 127.0.0.1. Fails with a clear message when a fixed port is
 * taken, and stops whatever it had started when a later step fails.
 *
 * @example
 * import { payDemo, startStack } from './stack.ts'
 * const stack = await startStack({ log: console.log })
 * await payDemo(stack, { log: console.log })
 * await stack.stop()
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const {
    chainPort = 8545,
    facilitatorPort = 4020,
    demoPort = 4021,
    dataDir = join(root, '.data', 'local-stack'),
    log = () => {},
  } = options
  for (const [name, port] of [
    ['the local chain', chainPort],
    ['the facilitator', facilitatorPort],
    ['the demo API', demoPort],
  ] as const) {
    if (port !== 0 && !(await isPortFree(port))) {
      throw new Error(
        `Port ${port} on 127.0.0.1 (for ${name}) is already in use: is another npm start running? Stop it and try again.`,
      )
    }
  }

  const started: { stop(): Promise<void> }[] = []
  const stopAll = async () => {
    for (const part of started.splice(0).reverse()) await part.stop().catch(() => {})
  }
  try {
    const chain = await startLocalChain({
      ...(chainPort === 0 ? {} : { port: chainPort }),
      chainId: 8453,
      ...(options.blockTime ? { blockTime: options.blockTime, mining: 'interval' as const } : {}),
      // The sanctions oracle's demo list: the facilitator's default screening refuses this payer (payScreened).
      sanctioned: [listedDemoPayer.address],
    })
    started.push(chain)
    log(`local chain       ${chain.url} (chain id ${chain.chainId}, USDC at ${chain.usdc})`)

    await rm(dataDir, { recursive: true, force: true })
    await mkdir(dataDir, { recursive: true })
    // Auth is on, as in production: the demo pays through an API key for the seller only, kept
    // (hashed) in the data folder like `tollgate-facilitator keys create` does.
    const keys = createSqliteApiKeyStore({ dataDir })
    const { key: apiKey, record } = await createApiKey({
      scopes: ['verify', 'settle', 'release'],
      payTo: [chain.accounts.seller.address],
      label: 'local demo',
      now: BigInt(Math.floor(Date.now() / 1000)),
    })
    await keys.insert(record)
    await keys.close()
    const facilitator = await startFacilitator(
      {
        TOLLGATE_HOST: '127.0.0.1',
        TOLLGATE_PORT: String(facilitatorPort),
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_NETWORKS: chain.network,
        [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
        TOLLGATE_DATA_DIR: dataDir,
        // The stack prints its own lines; the facilitator's JSON logs only for warnings and errors.
        TOLLGATE_LOG_LEVEL: 'warn',
      },
      { logError: (error) => log(`facilitator error: ${error instanceof Error ? error.message : String(error)}`) },
    )
    started.push(facilitator)
    log(`facilitator       ${facilitator.url} (signer ${facilitator.signer}, ledger ${dataDir})`)

    const demo = await startDemo(
      parseDemoConfig({
        TOLLGATE_DEMO_HOST: '127.0.0.1',
        TOLLGATE_DEMO_PORT: String(demoPort),
        TOLLGATE_FACILITATOR_URL: facilitator.url,
        TOLLGATE_FACILITATOR_API_KEY: apiKey,
        TOLLGATE_PAY_TO: chain.accounts.seller.address,
        TOLLGATE_NETWORK: chain.network,
        // `/weather` settled (default) or optimistic: `TOLLGATE_DEMO_DELIVERY=optimistic npm start`.
        ...(options.delivery ? { TOLLGATE_DEMO_DELIVERY: options.delivery } : {}),
      }),
    )
    started.push(demo)
    log(`demo API          ${demo.url} (pays to ${chain.accounts.seller.address})`)

    let stopping: Promise<void> | undefined
    return { chain, facilitator, demo, dataDir, stop: () => (stopping ??= stopAll()) }
  } catch (error) {
    await stopAll()
    throw error
  }
}

/** What {@link payDemo} observed. */
export type DemoPayment = {
  status: number
  body: unknown
  transaction: string
  price: bigint
  before: { payer: bigint; seller: bigint }
  after: { payer: bigint; seller: bigint }
}

const usdc = (amount: bigint) => `${formatMoney(amount, { decimals: 6 })} USDC`

/**
 * Pays for `GET /weather` (or `path` with `init`, e.g. `POST /compare` and its JSON body) on the
 * stack's demo with the official `@x402/fetch` client (v2), as payer #1 (dev account #2), and logs
 * the quote, the response, the transaction and both balances before and after.
 */
export async function payDemo(
  stack: Stack,
  {
    payer = stack.chain.accounts.payers[0],
    log = () => {},
    path = '/weather?city=Lisbon',
    init,
  }: {
    payer?: LocalAccount
    log?: (line: string) => void
    path?: string
    /** The request's method, headers and body (a string: it is sent twice, unpaid then paid). */
    init?: RequestInit & { body?: string }
  } = {},
): Promise<DemoPayment> {
  const { chain, demo } = stack
  const seller = chain.accounts.seller.address
  const url = `${demo.url}${path}`
  const method = init?.method ?? 'GET'
  const balances = async () => {
    const [p, s] = await Promise.all([chain.balanceOf(payer.address as Address), chain.balanceOf(seller)])
    return { payer: p, seller: s }
  }

  const unpaid = await fetch(url, init)
  const quote = decodeHeader(paymentRequiredV2Schema, unpaid.headers.get('payment-required'))
  await unpaid.body?.cancel()
  const offer = quote.accepts[0]
  if (unpaid.status !== 402 || !offer) throw new Error(`expected a 402 quote from ${url}, got ${unpaid.status}`)
  const price = BigInt(offer.amount)
  log(`${method} ${url}${init?.body ? ` ${init.body}` : ''} -> ${unpaid.status} Payment Required`)
  log(
    `  quote: ${usdc(price)} (${offer.amount} atomic) on ${offer.network}, pay to ${offer.payTo}, asset ${offer.asset}`,
  )

  const before = await balances()
  const pay = wrapFetchWithPayment(fetch, new x402Client().register(chain.network, new ExactEvmScheme(payer)))
  const started = performance.now()
  const res = await pay(url, init)
  const body: unknown = await res.json()
  const answeredMs = performance.now() - started
  const receipt = decodeHeader(settleResponseSchema, res.headers.get('payment-response'))
  // Delivered optimistically: served once broadcast; the settlement is included after the answer.
  const pending = (receipt.extensions?.[tollgateExtensions.delivery] as { state?: string } | undefined)?.state
  log(`paid with @x402/fetch as ${payer.address} -> ${res.status} in ${Math.round(answeredMs)} ms`)
  log(`  response:    ${JSON.stringify(body)}`)
  log(`  transaction: ${receipt.transaction}`)
  if (pending === 'pending' && receipt.transaction) {
    log('  delivery:    optimistic (served once the settlement was broadcast, before its block)')
    const mined = await chain.publicClient.waitForTransactionReceipt({ hash: receipt.transaction as Hex })
    log(`  settled:     block ${mined.blockNumber}, ${Math.round(performance.now() - started)} ms after the request`)
  } else if (res.status === 200) {
    log('  delivery:    settled (served once the settlement was in a block)')
  }
  const after = await balances()
  log(`  payer:  ${usdc(before.payer)} -> ${usdc(after.payer)}`)
  log(`  seller: ${usdc(before.seller)} -> ${usdc(after.seller)}`)
  return { status: res.status, body, transaction: receipt.transaction, price, before, after }
}

/** What {@link payDemoTool} observed. */
export type DemoToolPayment = {
  tools: string[]
  result: unknown
  transaction: string
  price: bigint
  before: { payer: bigint; seller: bigint }
  after: { payer: bigint; seller: bigint }
}

/**
 * Pays for the demo's MCP tool `get_forecast` (`POST /mcp`, Streamable HTTP) with the MCP SDK's
 * client: lists the tools, calls it unpaid (the PaymentRequired comes back as an `isError` result),
 * signs a payment with the official `@x402/core` client and `@x402/evm` scheme as payer #2 (dev
 * account #3), calls again with it in `_meta["x402/payment"]`, and logs the result, the receipt from
 * `_meta["x402/payment-response"]` and both balances.
 */
export async function payDemoTool(
  stack: Stack,
  {
    payer = stack.chain.accounts.payers[1],
    log = () => {},
  }: { payer?: LocalAccount; log?: (line: string) => void } = {},
): Promise<DemoToolPayment> {
  const { chain, demo } = stack
  const seller = chain.accounts.seller.address
  const balances = async () => {
    const [p, s] = await Promise.all([chain.balanceOf(payer.address as Address), chain.balanceOf(seller)])
    return { payer: p, seller: s }
  }
  const client = new Client({ name: 'tollgate-start', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`${demo.url}/mcp`)))
  try {
    const tools = (await client.listTools()).tools.map((tool) => tool.name)
    log(`MCP ${demo.url}/mcp tools/list -> ${tools.join(', ')}`)
    const args = { city: 'Tokyo', days: 2 }
    const call = (payment?: unknown) =>
      client.callTool({
        name: 'get_forecast',
        arguments: args,
        ...(payment === undefined ? {} : { _meta: { 'x402/payment': payment } }),
      }) as Promise<CallToolResult>
    const unpaid = await call()
    const required = paymentRequiredV2Schema.parse(unpaid.structuredContent)
    const offer = required.accepts[0]
    if (!unpaid.isError || !offer) throw new Error('expected a PaymentRequired result from get_forecast')
    const price = BigInt(offer.amount)
    log(`tools/call get_forecast ${JSON.stringify(args)} -> isError, PaymentRequired`)
    log(`  quote: ${usdc(price)} (${offer.amount} atomic) on ${offer.network}, pay to ${offer.payTo}`)

    const before = await balances()
    const payment = await new x402Client()
      .register(chain.network, new ExactEvmScheme(payer))
      .createPaymentPayload(required as never)
    const paid = await call(payment)
    if (paid.isError) throw new Error(`the paid call failed: ${JSON.stringify(paid.structuredContent ?? paid.content)}`)
    const receipt = settleResponseSchema.parse(paid._meta?.['x402/payment-response'])
    const after = await balances()
    log(`paid with _meta["x402/payment"] as ${payer.address} -> result`)
    log(`  result:      ${JSON.stringify(paid.structuredContent)}`)
    log(`  transaction: ${receipt.transaction} (from _meta["x402/payment-response"])`)
    log(`  payer:  ${usdc(before.payer)} -> ${usdc(after.payer)}`)
    log(`  seller: ${usdc(before.seller)} -> ${usdc(after.seller)}`)
    return { tools, result: paid.structuredContent, transaction: receipt.transaction, price, before, after }
  } finally {
    await client.close()
  }
}
