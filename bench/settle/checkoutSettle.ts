/**
 * One comparison run of bench/settle `--against NAME=DIR`: `settle()` of checkout DIR's own
 * `@tollgate/facilitator` (its `createFacilitator` with a memory store and native recovery, the options
 * the parent sends) called in-process for every payment the parent signed, all at once, in a child
 * process (bench/shared/checkoutProcess.ts, which starts this file with DIR as its working directory).
 * The clock runs from the first call to the last answer, as in run.ts, but the first call waits for
 * a new block: every run starts at the same point of the block interval (right after a block), so its
 * seconds do not depend on where in the interval this process happened to be ready. Replies
 * `{ seconds, answers, code }` (each answer the transaction, or what failed; `code`, where
 * `@tollgate/facilitator` was loaded from), then exits when the parent closes stdin.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Hex } from 'viem'
import { checkoutImport, checkoutResolve, onStop, readInput, reply } from '../shared/checkoutChild.ts'

/** What the parent sends. */
export type CheckoutSettleInput = {
  url: string
  chainId: 8453 | 84532
  /** The settlement signers' keys (anvil dev keys). */
  keys: Hex[]
  /** `createFacilitator`'s options, but for `recover` (native, added here). */
  options: Record<string, unknown>
  /** The `/settle` bodies. */
  bodies: unknown[]
}

/** What this process answers: a transaction per settled payment, else why not. */
export type CheckoutSettleResult = {
  seconds: number
  /** Where `@tollgate/facilitator` was loaded from (a `file:` URL). */
  code: string
  answers: ({ transaction: Hex } | { failed: string })[]
}

// The checkout's modules, typed as this checkout's: the parts used here are the same in both.
const [facilitatorPackage, { createNativeRecover }, viem, { privateKeyToAccount }, { base, baseSepolia }] =
  await Promise.all([
    checkoutImport<typeof import('@tollgate/facilitator')>('@tollgate/facilitator'),
    checkoutImport<typeof import('../../apps/facilitator/src/engine/nativeRecover.ts')>(
      './apps/facilitator/src/engine/nativeRecover.ts',
    ),
    checkoutImport<typeof import('viem')>('viem'),
    checkoutImport<typeof import('viem/accounts')>('viem/accounts'),
    checkoutImport<typeof import('viem/chains')>('viem/chains'),
  ])
const { createFacilitator, createMemoryStore, settle } = facilitatorPackage

const input = await readInput<CheckoutSettleInput>()
onStop(async () => undefined)
// The client the local chain's own publicClient is (test/chain/localChain.ts): no batching.
const chain = { ...(input.chainId === 8453 ? base : baseSepolia), rpcUrls: { default: { http: [input.url] } } }
const client = viem.createPublicClient({ chain, pollingInterval: 50, cacheTime: 0, transport: viem.http(input.url) })
const network = `eip155:${input.chainId}` as const
const facilitator = createFacilitator(
  {
    store: createMemoryStore(),
    networks: [{ network, client, accounts: input.keys.map((key) => privateKeyToAccount(key)) }],
  },
  { recover: createNativeRecover(), ...input.options },
)
try {
  const current = await client.getBlockNumber()
  while ((await client.getBlockNumber()) === current) await sleep(10)
  const started = performance.now()
  const answers = await Promise.all(input.bodies.map((body) => settle(facilitator, body)))
  const seconds = (performance.now() - started) / 1000
  reply({
    seconds,
    code: checkoutResolve('@tollgate/facilitator'),
    answers: answers.map((answer) =>
      answer.ok && answer.response.success
        ? { transaction: answer.response.transaction as Hex }
        : { failed: JSON.stringify(answer).slice(0, 500) },
    ),
  } satisfies CheckoutSettleResult)
} finally {
  await facilitator.close()
}
