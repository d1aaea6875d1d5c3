/**
 * Settle benchmark: settlements per second on a local anvil with 2-second interval blocks (no
 * automine), through `settle()` in-process, for: ours with one signer, ours with four signers, ours
 * with Multicall3 batching (one signer), and the official facilitator scheme (@x402/core +
 * @x402/evm, which settles one payment at a time, as its SDK does: concurrent settlements collide on
 * nonces). Plus gas per payment, batched against single, from the receipts.
 *
 *   node bench/settle/index.js [--payments 400] [--official 8] [--batch-size 100] [--batch-wait 250] [--write]
 *   (or: node --import ./scripts/register-source.mjs bench/settle/run.ts …)
 *
 * Every settlement must answer `success: true`; each run uses fresh authorizations from eight payers.
 * `--write` replaces the "## Settle" section of docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createFacilitator, createMemoryStore, type Facilitator, settle } from '@tollgate/facilitator'
import { assets } from '@tollgate/protocol'
import type { Hex, LocalAccount } from 'viem'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { createOfficialFacilitator } from '../../test/facilitator/officialFacilitator.ts'

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '400' },
    official: { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '100' },
    'batch-wait': { type: 'string', default: '250' },
    write: { type: 'boolean', default: false },
  },
})
const payments = Math.min(Number(values.payments), 2_000)
const officialPayments = Math.min(Number(values.official), 50)
const batch = { maxSize: Math.min(Number(values['batch-size']), 200), maxWaitMs: Number(values['batch-wait']) }
const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/settle/index.js'
  : 'node --import ./scripts/register-source.mjs bench/settle/run.ts'
const command = `${entry}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)

const chain = await startLocalChain({ blockTime: 2 })
const deadline = setTimeout(() => {
  log('bench/settle: over 10 minutes, stopping')
  void chain.stop().then(() => process.exit(1))
}, 600_000)
try {
  // Interval mining only: a block every 2 s, as on Base.
  await chain.testClient.setAutomine(false)
  await chain.testClient.setIntervalMining({ interval: 2 })
  const { name, version } = assets[chain.network]
  const payTo = chain.accounts.seller.address
  const requirements = {
    scheme: 'exact',
    network: chain.network,
    amount: '10000',
    asset: chain.usdc,
    payTo,
    maxTimeoutSeconds: 600,
    extra: { name, version },
  }
  const bodies = async (count: number) => {
    const now = BigInt(Math.floor(Date.now() / 1000))
    const payers = chain.accounts.payers
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const payload = await chain.signTransferAuthorization({
          payer: payers[i % payers.length] as LocalAccount,
          to: payTo,
          value: 10_000n,
          validAfter: 0n,
          validBefore: now + 900n,
        })
        return {
          x402Version: 2,
          paymentPayload: {
            x402Version: 2,
            resource: { url: 'http://127.0.0.1/paid' },
            accepted: requirements,
            payload,
          },
          paymentRequirements: requirements,
        }
      }),
    )
  }
  const gasOf = async (hashes: Iterable<Hex>) => {
    let gas = 0n
    for (const hash of hashes) gas += (await chain.publicClient.getTransactionReceipt({ hash })).gasUsed
    return gas
  }

  type Run = {
    name: string
    payments: number
    seconds: number
    perSecond: number
    transactions: number
    gasPerPayment: bigint
  }
  const ours = async (
    label: string,
    accounts: LocalAccount[],
    options: { batch?: typeof batch } = {},
  ): Promise<Run> => {
    const facilitator: Facilitator = createFacilitator(
      { store: createMemoryStore(), networks: [{ network: chain.network, client: chain.publicClient, accounts }] },
      {
        recover: createNativeRecover(),
        pollingIntervalMs: 250,
        receiptTimeoutMs: 120_000,
        // Full blocks raise the base fee 12.5% each: a settlement priced blocks ago is replaced.
        replaceAfterMs: 6_000,
        ...options,
      },
    )
    try {
      const work = await bodies(payments)
      const started = performance.now()
      const answers = await Promise.all(work.map((body) => settle(facilitator, body)))
      const seconds = (performance.now() - started) / 1000
      const hashes = new Set<Hex>()
      for (const answer of answers) {
        if (!answer.ok || !answer.response.success) throw new Error(`${label}: ${JSON.stringify(answer)}`)
        hashes.add(answer.response.transaction as Hex)
      }
      const gas = await gasOf(hashes)
      const run = {
        name: label,
        payments,
        seconds,
        perSecond: payments / seconds,
        transactions: hashes.size,
        gasPerPayment: gas / BigInt(payments),
      }
      log(
        `${label}: ${payments} in ${seconds.toFixed(1)} s = ${run.perSecond.toFixed(1)}/s, ${hashes.size} tx, ${run.gasPerPayment} gas/payment`,
      )
      return run
    } finally {
      await facilitator.close()
    }
  }

  const official = async (): Promise<Run> => {
    const facilitator = createOfficialFacilitator({
      url: chain.url,
      chain: chain.chain,
      account: chain.accounts.payers[4],
    })
    const work = await bodies(officialPayments)
    const hashes = new Set<Hex>()
    const started = performance.now()
    for (const body of work) {
      const response = (await facilitator.settle(body.paymentPayload as never, body.paymentRequirements as never)) as {
        success: boolean
        transaction: Hex
      }
      if (!response.success) throw new Error(`official: ${JSON.stringify(response)}`)
      hashes.add(response.transaction)
    }
    const seconds = (performance.now() - started) / 1000
    const gas = await gasOf(hashes)
    const run = {
      name: 'official @x402/evm exact (one at a time)',
      payments: officialPayments,
      seconds,
      perSecond: officialPayments / seconds,
      transactions: hashes.size,
      gasPerPayment: gas / BigInt(officialPayments),
    }
    log(
      `official: ${officialPayments} in ${seconds.toFixed(1)} s = ${run.perSecond.toFixed(2)}/s, ${run.gasPerPayment} gas/payment`,
    )
    return run
  }

  const { facilitator: signer0, payers } = chain.accounts
  const runs: Run[] = []
  runs.push(await ours('Tollgate, 1 signer', [signer0]))
  runs.push(await ours('Tollgate, 4 signers', [signer0, payers[5], payers[6], payers[7]] as LocalAccount[]))
  runs.push(
    await ours(`Tollgate, 1 signer, batches of ≤${batch.maxSize} (wait ${batch.maxWaitMs} ms)`, [signer0], { batch }),
  )
  runs.push(await official())

  const single = runs[0] as Run
  const batched = runs[2] as Run
  const table = [
    '| Target | Payments | Seconds | Settlements/s | Transactions | Gas per payment |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (run) =>
        `| ${run.name} | ${run.payments} | ${run.seconds.toFixed(1)} | ${run.perSecond.toFixed(run.perSecond < 10 ? 2 : 1)} | ${run.transactions} | ${run.gasPerPayment} |`,
    ),
  ].join('\n')
  const saving = Number(((single.gasPerPayment - batched.gasPerPayment) * 1000n) / single.gasPerPayment) / 10
  const section = `## Settle

\`${command}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? 'cpu'}).

anvil with \`--block-time 2\` and automine off (a block every 2 s, default 30M block gas limit), TestUsdc at the
USDC address, eight payers; \`settle()\` called in-process for every target (no HTTP), all payments submitted at
once, each answer \`success: true\` (receipt seen) before the clock stops. The official facilitator settles one
payment at a time (its SDK serialises settlements: concurrent ones collide on nonces). Gas per payment is the
receipts' \`gasUsed\` over the payments. Ours runs with \`replaceAfterMs: 6000\` (full blocks raise the base
fee 12.5% each, so a settlement priced a few blocks earlier must be replaced). On one anvil the chain is the
limit, not the signer, so four signers gain little here; they matter where each signer's sign-record-broadcast
round trip to a remote RPC is the bottleneck. The journal (each signed transaction kept in the Store before
broadcast) and the keeper (re-sends after 3 s) are on. Figures vary by tens of percent between runs on a shared machine.

${table}

Batched settlement costs ${batched.gasPerPayment} gas per payment against ${single.gasPerPayment} single (${saving}% less).
`
  process.stdout.write(`${section}\n`)
  if (values.write) {
    const path = join(import.meta.dirname, '../../docs/benchmarks.md')
    const text = readFileSync(path, 'utf8')
    const start = text.indexOf('## Settle')
    let next = start < 0 ? -1 : text.indexOf('\n## ', start + 1)
    if (next >= 0) next += 1
    const updated =
      start < 0
        ? `${text.trimEnd()}\n\n${section}`
        : `${text.slice(0, start)}${section}${next >= 0 ? `\n${text.slice(next)}` : ''}`
    writeFileSync(path, updated)
    log('docs/benchmarks.md: "## Settle" written')
  }
} finally {
  clearTimeout(deadline)
  await chain.stop()
}
