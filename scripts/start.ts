// `npm start`: the local Tollgate stack on loopback (scripts/stack.ts): anvil on 127.0.0.1:8545 acting as Base (chain
// id 8453) with the EIP-3009 test USDC at the real USDC address and funded dev accounts, the facilitator on
// 127.0.0.1:4020 (SQLite ledger in .data/local-stack), and the paid demo API on 127.0.0.1:4021. It then pays for
// GET /weather and for POST /compare (a JSON body) with the official @x402/fetch client and for the MCP tool
// get_forecast (POST /mcp) with the MCP SDK's client and the official @x402/core client, prints what happened and the
// URL a person opens to pay with their own wallet (the paywall page), and keeps the stack up until Ctrl-C.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { payScreened } from './screenedPayment.ts'
import { payDemo, payDemoTool, type Stack, startStack } from './stack.ts'

let stack: Stack | undefined
let stopping = false
const shutdown = async (reason: string, code = 0) => {
  if (stopping) return
  stopping = true
  console.log(`\n${reason}: stopping the demo API, the facilitator and anvil…`)
  await stack?.stop()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
watchAncestors(() => void shutdown('parent process gone'))

console.log('Starting the local Tollgate stack…')
try {
  // TOLLGATE_DEMO_DELIVERY=optimistic serves /weather once its settlement is broadcast; with
  // TOLLGATE_DEMO_BLOCK_TIME=2 the chain mines every 2 s only, as Base does, so the difference shows.
  const delivery = process.env.TOLLGATE_DEMO_DELIVERY
  if (delivery !== undefined && delivery !== 'settled' && delivery !== 'optimistic') {
    throw new Error(`TOLLGATE_DEMO_DELIVERY must be settled or optimistic, received ${delivery}.`)
  }
  const blockTime = Number(process.env.TOLLGATE_DEMO_BLOCK_TIME ?? '0')
  if (!(blockTime === 0 || (blockTime >= 0.1 && blockTime <= 12))) {
    throw new Error(`TOLLGATE_DEMO_BLOCK_TIME must be seconds from 0.1 to 12, received ${blockTime}.`)
  }
  stack = await startStack({
    log: (line) => console.log(`  ${line}`),
    ...(delivery ? { delivery } : {}),
    ...(blockTime ? { blockTime } : {}),
  })
} catch (error) {
  console.error(`Could not start the stack: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(1)
}
// A signal that arrived while the stack was starting found `stack` unset; stop what just started.
if (stopping) {
  await stack.stop()
  process.exit(0)
}

console.log('\nA first payment, by the official @x402/fetch client (payer = dev account #2):')
try {
  await payDemo(stack, { log: (line) => console.log(`  ${line}`) })
} catch (error) {
  console.error(`The demo payment failed: ${error instanceof Error ? error.message : String(error)}`)
  await shutdown('payment failed', 1)
}

console.log('\nA paid JSON body, POST /compare, by the same client (payer = dev account #4):')
try {
  await payDemo(stack, {
    payer: stack.chain.accounts.payers[2],
    path: '/compare',
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"cities":["Lisbon","Oslo"]}' },
    log: (line) => console.log(`  ${line}`),
  })
} catch (error) {
  console.error(`The POST /compare payment failed: ${error instanceof Error ? error.message : String(error)}`)
  await shutdown('payment failed', 1)
}

console.log(
  '\nA paid MCP tool call, by the MCP SDK client with the official @x402/core client (payer = dev account #3):',
)
try {
  await payDemoTool(stack, { log: (line) => console.log(`  ${line}`) })
} catch (error) {
  console.error(`The MCP tool payment failed: ${error instanceof Error ? error.message : String(error)}`)
  await shutdown('payment failed', 1)
}

console.log("\nA screened payment, refused: the payer is on the local sanctions oracle's demo list (screening is on):")
try {
  await payScreened(stack, { log: (line) => console.log(`  ${line}`) })
} catch (error) {
  console.error(`The screened payment failed: ${error instanceof Error ? error.message : String(error)}`)
  await shutdown('payment failed', 1)
}

const { chain, facilitator, demo } = stack
console.log(
  [
    '',
    'Try it:',
    `  curl -i '${demo.url}/weather?city=Oslo'                 # 402: PAYMENT-REQUIRED header + v1 JSON quote`,
    `  curl -i -H 'Accept: text/html' '${demo.url}/weather'    # the HTML paywall`,
    `  curl ${demo.url}/                                       # routes, tools and prices`,
    `  curl -i ${demo.url}/compare -H 'Content-Type: application/json' -d '{"cities":["Lisbon","Oslo"]}'   # 402 for a JSON body (413 past 1 MiB)`,
    `  curl -X POST ${demo.url}/mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\`,
    `    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_forecast","arguments":{"days":2}}}'`,
    '      # MCP (Streamable HTTP): the tool get_forecast ($0.001 per day) answers the x402 PaymentRequired; list_cities is free',
    `  curl ${facilitator.url}/supported`,
    `  TOLLGATE_DATA_DIR=${relative(process.cwd(), stack.dataDir) || stack.dataDir} node apps/facilitator/bin/tollgate-facilitator.js keys list   # the demo's API key (auth is on)`,
    `Payers: dev accounts #2-#9 hold 1,000 USDC each (keys in test/chain/accounts.ts); seller ${chain.accounts.seller.address}.`,
    '',
    'Pay in a browser with your own wallet: open this URL (first point the wallet at the local chain: RPC',
    `${chain.url}, chain id ${chain.chainId}; import a payer key #2-#9; the README says how):`,
    `  ${demo.url}/weather?city=Oslo`,
    `Ledger: ${relative(process.cwd(), stack.dataDir) || stack.dataDir}`,
    '',
    `Tollgate stack ready: chain ${chain.url}, facilitator ${facilitator.url}, demo ${demo.url} (Ctrl-C to stop)`,
  ].join('\n'),
)

/**
 * `kill <npm pid>` sends SIGTERM to npm, which passes it to its `sh -c` only; that shell dies without passing it on, and
 * tsx, this process and anvil would live on as orphans. So watch the parent and grandparent (Linux `/proc`; elsewhere
 * this does nothing) and shut down when either goes away.
 */
function watchAncestors(onGone: () => void): void {
  const parentOf = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    } catch {
      return undefined
    }
  }
  const parent = process.ppid
  const grandparent = parentOf(parent)
  if (grandparent === undefined) return
  setInterval(() => {
    if (process.ppid !== parent || parentOf(parent) !== grandparent) onGone()
  }, 500).unref()
}
