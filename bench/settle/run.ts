/**
 * Settle benchmark: settlements per second on a local anvil with 2-second interval blocks (no
 * automine), through `settle()` in-process, for: ours with one signer, ours with four signers, ours
 * with Multicall3 batching (one signer), and the official facilitator scheme (@x402/core +
 * @x402/evm, which settles one payment at a time, as its SDK does: concurrent settlements collide on
 * nonces). Plus gas per payment, batched against single, from the receipts.
 *
 *   node bench/settle/index.js [--payments 400] [--official 8] [--batch-size 100] [--batch-wait 250]
 *     [--against NAME=DIR]… [--send-sync auto,off] [--rounds 2] [--against-only] [--max-minutes 10] [--write]
 *   (or: node --import ./scripts/register-source.mjs bench/settle/run.ts …)
 *
 * Every settlement must answer `success: true`; each run uses fresh authorizations from eight payers.
 *
 * `--against NAME=DIR` (repeatable) adds a before-and-after comparison on the same chain, after the
 * runs above (or alone, with `--against-only`): one signer, `--payments` at once, the options of the
 * one-signer run above, from this checkout and from checkout DIR (e.g. the code before a change, made
 * with `bash bench/shared/checkout.sh DIR COMMIT`), each side in a child process that runs its own
 * checkout's code (checkoutSettle.ts, so both pay the same process start-up, outside the clock), each
 * run's first call made right after a block (a run's seconds do not depend on the block phase).
 * This checkout runs once per `--send-sync` mode (`auto`, the service's default: EIP-7966 sends when
 * the RPC serves them, as anvil does; `off`: send and poll receipts, `createFacilitator`'s default);
 * DIR's with the same options but `sendSync`. `--rounds` rounds, the order reversed every other round;
 * the ratio is of the mean settlements per second. `--max-minutes` (default 10, 30 with `--against`)
 * stops a run that hangs. `--write` replaces the "## Settle" section of docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createFacilitator, createMemoryStore, type Facilitator, settle } from '@tollgate/facilitator'
import { assets } from '@tollgate/protocol'
import type { Hex, LocalAccount } from 'viem'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { devPrivateKeys } from '../../test/chain/accounts.ts'
import { startLocalChain } from '../../test/chain/localChain.ts'
import { createOfficialFacilitator } from '../../test/facilitator/officialFacilitator.ts'
import { startInCheckout, thisCheckout } from '../shared/checkoutProcess.ts'
import type { CheckoutSettleInput, CheckoutSettleResult } from './checkoutSettle.ts'

const { values } = parseArgs({
  options: {
    payments: { type: 'string', default: '400' },
    official: { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '100' },
    'batch-wait': { type: 'string', default: '250' },
    against: { type: 'string', multiple: true, default: [] },
    'send-sync': { type: 'string', default: 'auto,off' },
    rounds: { type: 'string', default: '2' },
    'against-only': { type: 'boolean', default: false },
    'max-minutes': { type: 'string' },
    write: { type: 'boolean', default: false },
  },
})
function usage(message: string): never {
  process.stderr.write(`bench/settle: ${message}\n`)
  process.exit(2)
}
const payments = Math.min(Number(values.payments), 2_000)
const officialPayments = Math.min(Number(values.official), 50)
const batch = { maxSize: Math.min(Number(values['batch-size']), 200), maxWaitMs: Number(values['batch-wait']) }
const against = values.against.map((spec) => {
  const match = /^([\w-]+)=(.+)$/.exec(spec)
  if (!match) usage(`--against takes NAME=DIR, not ${spec}`)
  const dir = resolve(match[2] as string)
  const commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  return { name: match[1] as string, dir, commit }
})
const sendSyncModes = values['send-sync'].split(',').map((mode) => mode.trim())
for (const mode of sendSyncModes) {
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') usage(`--send-sync takes auto, on or off, not ${mode}`)
}
const rounds = Number(values.rounds)
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) usage('--rounds must be an integer from 1 to 10')
if (values['against-only'] && against.length === 0) usage('--against-only needs --against NAME=DIR')
const maxMinutes = Number(values['max-minutes'] ?? (against.length ? 30 : 10))
if (!(maxMinutes > 0 && maxMinutes <= 240)) usage('--max-minutes must be from 1 to 240')
const entry = process.argv[1]?.endsWith('index.js')
  ? 'node bench/settle/index.js'
  : 'node --import ./scripts/register-source.mjs bench/settle/run.ts'
const command = `${entry}${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`
const log = (line: string) => process.stderr.write(`${line}\n`)

const chain = await startLocalChain({ blockTime: 2 })
/** The comparison's child processes (`--against`), stopped with the chain. */
const children = new Set<{ stop(): Promise<void> }>()
const deadline = setTimeout(() => {
  log(`bench/settle: over ${maxMinutes} minutes, stopping`)
  void Promise.all([...children].map((child) => child.stop()))
    .then(() => chain.stop())
    .then(() => process.exit(1))
}, maxMinutes * 60_000)
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

  /** The engine's options of every run of ours (the comparison's too), but for `recover`. */
  const oneSigner = {
    pollingIntervalMs: 250,
    receiptTimeoutMs: 120_000,
    // Full blocks raise the base fee 12.5% each: a settlement priced blocks ago is replaced.
    replaceAfterMs: 6_000,
  }

  type Run = {
    name: string
    payments: number
    seconds: number
    perSecond: number
    transactions: number
    gasPerPayment: bigint
  }

  /** A run of `count` payments in `seconds` that went in `hashes`, with its gas from the receipts; logged. */
  const measured = async (label: string, count: number, seconds: number, hashes: Set<Hex>): Promise<Run> => {
    const gas = await gasOf(hashes)
    const run = {
      name: label,
      payments: count,
      seconds,
      perSecond: count / seconds,
      transactions: hashes.size,
      gasPerPayment: gas / BigInt(count),
    }
    log(
      `${label}: ${count} in ${seconds.toFixed(1)} s = ${run.perSecond.toFixed(1)}/s, ${hashes.size} tx, ${run.gasPerPayment} gas/payment`,
    )
    return run
  }

  const ours = async (
    label: string,
    accounts: LocalAccount[],
    options: { batch?: typeof batch } = {},
  ): Promise<Run> => {
    const facilitator: Facilitator = createFacilitator(
      { store: createMemoryStore(), networks: [{ network: chain.network, client: chain.publicClient, accounts }] },
      { recover: createNativeRecover(), ...oneSigner, ...options },
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
      return await measured(label, payments, seconds, hashes)
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

  /**
   * One comparison run (`--against`): `payments` at once through checkout `dir`'s own `settle()`, in a
   * child process (checkoutSettle.ts), one signer (dev account #0, as the runs above).
   */
  const fromCheckout = async (label: string, dir: string, options: Record<string, unknown>): Promise<Run> => {
    const input: CheckoutSettleInput = {
      url: chain.url,
      chainId: chain.chainId,
      keys: [devPrivateKeys[0]],
      options,
      bodies: await bodies(payments),
    }
    const child = startInCheckout({ dir, script: 'bench/settle/checkoutSettle.ts', input })
    children.add(child)
    try {
      const { seconds, answers, code } = await child.next<CheckoutSettleResult>()
      log(`${label}: @tollgate/facilitator from ${fileURLToPath(code)}`)
      const hashes = new Set<Hex>()
      for (const answer of answers) {
        if ('failed' in answer) throw new Error(`${label}: ${answer.failed}`)
        hashes.add(answer.transaction)
      }
      return await measured(label, payments, seconds, hashes)
    } finally {
      await child.stop()
      children.delete(child)
    }
  }

  const { facilitator: signer0, payers } = chain.accounts
  const runs: Run[] = []
  if (!values['against-only']) {
    runs.push(await ours('Tollgate, 1 signer', [signer0]))
    runs.push(await ours('Tollgate, 4 signers', [signer0, payers[5], payers[6], payers[7]] as LocalAccount[]))
    runs.push(
      await ours(`Tollgate, 1 signer, batches of ≤${batch.maxSize} (wait ${batch.maxWaitMs} ms)`, [signer0], {
        batch,
      }),
    )
    runs.push(await official())
  }

  // Before and after: this checkout per send mode, then each other checkout, the order reversed every other round.
  const sides = [
    ...sendSyncModes.map((mode) => ({
      name: `this checkout, sendSync ${mode}`,
      dir: thisCheckout,
      options: { ...oneSigner, sendSync: { mode } },
    })),
    ...against.map(({ name, dir, commit }) => ({
      name: `${name} (${commit})`,
      dir,
      options: oneSigner,
    })),
  ]
  const compared: { side: string; round: number; run: Run }[] = []
  for (let round = 1; against.length > 0 && round <= rounds; round++) {
    for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
      const run = await fromCheckout(`${side.name}, round ${round}`, side.dir, side.options)
      compared.push({ side: side.name, round, run })
    }
  }

  const perSecond = (run: Run) => run.perSecond.toFixed(run.perSecond < 10 ? 2 : 1)
  const table = [
    '| Target | Payments | Seconds | Settlements/s | Transactions | Gas per payment |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (run) =>
        `| ${run.name} | ${run.payments} | ${run.seconds.toFixed(1)} | ${perSecond(run)} | ${run.transactions} | ${run.gasPerPayment} |`,
    ),
  ].join('\n')
  const single = runs[0]
  const batched = runs[2]
  const standard =
    single && batched
      ? `anvil with \`--block-time 2\` and automine off (a block every 2 s, default 30M block gas limit), TestUsdc at the
USDC address, eight payers; \`settle()\` called in-process for every target (no HTTP), all payments submitted at
once, each answer \`success: true\` (receipt seen) before the clock stops. The official facilitator settles one
payment at a time (its SDK serialises settlements: concurrent ones collide on nonces). Gas per payment is the
receipts' \`gasUsed\` over the payments. Ours runs with \`replaceAfterMs: 6000\` (full blocks raise the base
fee 12.5% each, so a settlement priced a few blocks earlier must be replaced). On one anvil the chain is the
limit, not the signer, so four signers gain little here; they matter where each signer's sign-record-broadcast
round trip to a remote RPC is the bottleneck. The journal (each signed transaction kept in the Store before
broadcast) and the keeper (re-sends after 3 s) are on. Figures vary by tens of percent between runs on a shared machine.

${table}

Batched settlement costs ${batched.gasPerPayment} gas per payment against ${single.gasPerPayment} single (${
          Number(((single.gasPerPayment - batched.gasPerPayment) * 1000n) / single.gasPerPayment) / 10
        }% less).
`
      : ''
  const mean = (side: string) => {
    const mine = compared.filter((entry) => entry.side === side).map((entry) => entry.run.perSecond)
    return mine.reduce((sum, x) => sum + x, 0) / mine.length
  }
  const ours1 = sides.slice(0, sendSyncModes.length)
  const theirs = sides.slice(sendSyncModes.length)
  const comparison =
    compared.length > 0
      ? `### Before and after

${payments} settlements at once, one signer, on the same anvil (2 s blocks, automine off${values['against-only'] ? '' : ', after the runs above'}), from
this checkout and from ${against.map(({ name, dir, commit }) => `\`${name}\` (\`${dir}\` at commit \`${commit}\`)`).join(', ')}:
each side's own \`createFacilitator\` (memory store, native recovery, \`pollingIntervalMs: 250\`,
\`receiptTimeoutMs: 120000\`, \`replaceAfterMs: 6000\`) and \`settle()\` in a child process running its own checkout's
code (\`bench/settle/checkoutSettle.ts\`), the clock from the first call, made right after a block (every run starts at
the same point of the interval), to the last answer. This checkout runs once per
\`sendSync\` mode (\`auto\` is the service's default, EIP-7966 sends when the RPC serves them; \`off\` is
\`createFacilitator\`'s), the other checkouts with no \`sendSync\`. ${rounds > 1 ? `${rounds} rounds, the order reversed every other round.` : 'One round.'}

| Side | Round | Seconds | Settlements/s | Transactions | Gas per payment |
| --- | ---: | ---: | ---: | ---: | ---: |
${compared.map(({ side, round, run }) => `| ${side} | ${round} | ${run.seconds.toFixed(1)} | ${perSecond(run)} | ${run.transactions} | ${run.gasPerPayment} |`).join('\n')}

Mean settlements per second, this checkout over the other (above 1: this checkout settles faster):

| This checkout | Other | Mean/s | Other's mean/s | Ratio |
| --- | --- | ---: | ---: | ---: |
${ours1
  .flatMap((mine) =>
    theirs.map(
      (other) =>
        `| ${mine.name} | ${other.name} | ${mean(mine.name).toFixed(1)} | ${mean(other.name).toFixed(1)} | **${(mean(mine.name) / mean(other.name)).toFixed(2)}×** |`,
    ),
  )
  .join('\n')}
`
      : ''
  const section = `## Settle

\`${command}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpus()[0]?.model ?? 'cpu'}).

${[standard, comparison].filter(Boolean).join('\n')}`
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
