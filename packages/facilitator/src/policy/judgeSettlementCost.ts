import type { VerifiedSignature } from '@tollgate/evm'
import type { Clock } from '@tollgate/protocol'
import { createBatchLoad } from './batchLoad.ts'
import { type CreateGasPolicyOptions, createGasPolicy } from './createGasPolicy.ts'
import { createLossAllowance } from './lossAllowance.ts'
import type { EstimateSettlementCost } from './settlementCost.ts'

/** How a payment is settled, or why it is not; see {@link createSettlementJudge}. */
export type SettlementVerdict =
  /** Worth settling: alone, or (`batched`) only in a Multicall3 batch with others. */
  { ok: true; batched: boolean } | { ok: false; code: 'amount_too_low'; message: string }

/** Judges one payment's settlement cost; see {@link createSettlementJudge}. */
export type SettlementJudge = (parameters: {
  /** The payment (its ledger id): judged again in `/settle`, it keeps the verdict `/verify` gave it. */
  id: string
  kind: VerifiedSignature['kind']
  amount: bigint
  decimals: number
}) => Promise<SettlementVerdict>

/** Whether a batch of payments pays for its own transaction. */
export type BatchCovers = (parameters: { amounts: readonly bigint[]; decimals: number }) => Promise<boolean>

/** What a settlement transaction of batched payments cost beyond what they brought in. */
export type SettlementLoss = {
  /** Payments the transaction carried. */
  payments: number
  /** The transaction's cost (from its receipt, else expected), in the asset's atomic units. */
  cost: bigint
  /** What its payments brought in, in the asset's atomic units. */
  value: bigint
  /** `cost - value`: more than `0n`. */
  loss: bigint
}

/**
 * A batch was sent: what was set aside for its payments (`ids`) comes back and its shortfall (what it
 * cost beyond the `amounts` it carried) is charged to the allowance; answers the loss, if it leaves one.
 */
export type BatchSent = (parameters: {
  ids: readonly string[]
  amounts: readonly bigint[]
  decimals: number
  /** What the transaction cost, from its receipt. Default: the model's estimate. */
  costWei?: bigint
}) => Promise<SettlementLoss | undefined>

export type CreateSettlementJudgeOptions = CreateGasPolicyOptions & {
  /** The largest batch (`1`: no batches). */
  batchSize: number
  /**
   * How much gas cost beyond what they bring in the facilitator may risk on payments the recent load
   * cannot batch profitably, per hour, in the asset's atomic units (USDC: micro-dollars). Default
   * `0n`: none (a payment is accepted batched only when the recent load pays for its part).
   */
  maxLossPerHour?: bigint
  /** The bound of the batch window, in ms: the recent load is the payments batched within it. Default `2_000`. */
  windowMs?: number
  /** How long a verdict (and what it set aside) is kept for the payment's `/settle`, in ms. Default `180_000`. */
  holdMs?: number
  /** Default: `performance.now`. */
  clock?: Clock
}

/** The USDC (asset) value of `wei` at `ethPrice` (a decimal string), rounded up. */
function assetValueOf(wei: bigint, ethPrice: string, decimals: number): bigint {
  const [whole = '0', fraction = ''] = ethPrice.split('.')
  const price = BigInt(`${whole}${fraction}`)
  const scale = 10n ** BigInt(fraction.length) * 10n ** 18n
  const value = wei * price * 10n ** BigInt(decimals)
  return (value + scale - 1n) / scale
}

/**
 * The gas policy over the honest cost. A payment whose settlement alone costs at most `maxShare` of its
 * value settles alone. Else, an EOA payment when batches are possible (`batchSize` ≥ 2) settles batched
 * if its part of a full batch costs at most `maxBatchedShare` (default `"1"`) of it, judged on the
 * **expected** batch: the payments batched within the last `windowMs` and this one. When that load does
 * not pay for its part, the expected shortfall is set aside from an allowance of `maxLossPerHour`; when
 * the allowance cannot hold it, or a full batch would not pay either, `amount_too_low`, naming the
 * estimated cost and the price it needs. A verdict given at `/verify` holds at `/settle` (a payment
 * served is settled). `sent` settles the allowance when a batch goes and answers its loss, if any.
 *
 * @example
 * import { createSettlementJudge } from './judgeSettlementCost.ts'
 * const { judge } = createSettlementJudge({ cost }, { ethPrice: '4000', maxShare: '0.5', batchSize: 100 })
 * const verdict = await judge({ id, kind: 'eoa', amount: 1_000n, decimals: 6 })
 */
export function createSettlementJudge(
  { cost }: { cost: EstimateSettlementCost },
  {
    ethPrice,
    maxShare,
    maxBatchedShare = '1',
    batchSize,
    maxLossPerHour = 0n,
    windowMs = 2_000,
    holdMs = 180_000,
    clock = () => performance.now(),
  }: CreateSettlementJudgeOptions,
): {
  judge: SettlementJudge
  covers: BatchCovers
  sent: BatchSent
  /** Payment `id` joined a batch queue. */
  queued: (id: string) => void
  /** How many payments judged batched within the window have not joined a batch queue yet. */
  expecting: () => number
} {
  const alone = createGasPolicy({ ethPrice, maxShare })
  const batched = createGasPolicy({ ethPrice, maxShare: maxBatchedShare })
  const load = createBatchLoad({ windowMs, clock })
  const allowance = createLossAllowance({ perHour: maxLossPerHour, holdMs, clock })
  const verdicts = new Map<string, { verdict: SettlementVerdict & { ok: true }; at: number }>()
  // Judged batched and not yet queued (their handler runs): a batch waits for them, within the window.
  const awaiting = new Map<string, number>()
  const expecting = () => {
    const now = clock()
    for (const [id, at] of awaiting) {
      if (now - at < windowMs) break
      awaiting.delete(id)
    }
    return awaiting.size
  }
  const remember = (id: string, verdict: SettlementVerdict & { ok: true }) => {
    const now = clock()
    if (verdict.batched && !verdicts.has(id)) awaiting.set(id, now)
    for (const [old, entry] of verdicts) {
      if (now - entry.at < holdMs && verdicts.size < 100_000) break
      verdicts.delete(old)
    }
    verdicts.set(id, { verdict, at: now })
    return verdict
  }
  const judge: SettlementJudge = async ({ id, kind, amount, decimals }) => {
    const known = verdicts.get(id)
    if (known && clock() - known.at < holdMs) return known.verdict
    if (kind === 'eoa' && batchSize >= 2) load.arrive(id) // counted before any await: a burst sees itself
    const single = await cost(kind, 1)
    const verdict = alone({
      amount,
      decimals,
      gas: single.gasUsed,
      maxFeePerGas: single.pricePerGas,
      l1Fee: single.l1Fee,
    })
    if (verdict.ok) {
      load.leave(id) // settled alone: not part of the batches' load
      return remember(id, { ok: true, batched: false })
    }
    if (kind !== 'eoa' || batchSize < 2) return verdict
    const inBatchOf = async (size: number) => {
      const shared = await cost(kind, size)
      return batched({ amount, decimals, gas: shared.gasUsed, maxFeePerGas: shared.pricePerGas, l1Fee: shared.l1Fee })
    }
    const full = await inBatchOf(batchSize)
    if (!full.ok) {
      return {
        ok: false,
        code: 'amount_too_low',
        message: `${verdict.message} In a batch of ${batchSize} it would cost about ${full.cost} atomic units, more than ${maxBatchedShare} of it; a price of at least ${full.needed} atomic units pays for that.`,
      }
    }
    const expected = load.expected(id, batchSize)
    const likely = expected === batchSize ? full : await inBatchOf(expected)
    if (likely.ok) return remember(id, { ok: true, batched: true })
    const shortfall = likely.cost > amount ? likely.cost - amount : 1n
    if (allowance.take(id, shortfall)) return remember(id, { ok: true, batched: true })
    return {
      ok: false,
      code: 'amount_too_low',
      message: `${verdict.message} At the recent load (${expected} payment(s) to batch within ${windowMs} ms) its part of a batch would cost about ${likely.cost} atomic units, more than ${maxBatchedShare} of it, and this facilitator's allowance for such losses is spent for now; a price of at least ${likely.needed} atomic units pays for that.`,
    }
  }
  const batchCost = async (size: number, decimals: number) => {
    const { total } = await cost('eoa', size)
    return assetValueOf(total * BigInt(size), ethPrice, decimals)
  }
  const covers: BatchCovers = async ({ amounts, decimals }) => {
    const { total } = await cost('eoa', amounts.length)
    const sum = amounts.reduce((all, amount) => all + amount, 0n)
    const n = BigInt(amounts.length)
    // Each payment's share of the batch, judged on the batch's average payment.
    return batched({ amount: sum / n, decimals, gas: 1n, maxFeePerGas: total }).ok
  }
  const sent: BatchSent = async ({ ids, amounts, decimals, costWei }) => {
    const value = amounts.reduce((all, amount) => all + amount, 0n)
    const spent =
      costWei !== undefined
        ? assetValueOf(costWei, ethPrice, decimals)
        : amounts.length === 0
          ? 0n
          : await batchCost(amounts.length, decimals).catch(() => 0n)
    const loss = spent > value ? spent - value : 0n
    allowance.settle(ids, loss)
    return loss > 0n ? { payments: amounts.length, cost: spent, value, loss } : undefined
  }
  return { judge, covers, sent, queued: (id) => awaiting.delete(id), expecting }
}
