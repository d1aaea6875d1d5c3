/** Latency figures and on-chain checks of each target on each chain, and the Markdown that shows them. */

/** What one target measured on one chain. */
export type Summary = {
  target: string
  /** Seconds between blocks. */
  blockTime: number
  count: number
  failed: number
  min: number
  mean: number
  /** Standard error of `mean` (the samples' standard deviation over √count). */
  meanError: number
  p50: number
  p90: number
  p99: number
  max: number
  /** Median of the first request's 402 round trip. */
  quoteP50: number
}

/** The `p`-quantile (0 < p ≤ 1) of ascending `sorted` by nearest rank; `NaN` when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1] as number
}

/** Summarizes the paid round trips (`ms`) and 402 round trips (`quoteMs`) of one target on one chain. */
export function summarize(
  target: string,
  blockTime: number,
  samples: readonly { ms: number; quoteMs: number }[],
  failed: number,
): Summary {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b)
  const quotes = samples.map((s) => s.quoteMs).sort((a, b) => a - b)
  const mean = ms.length ? ms.reduce((sum, x) => sum + x, 0) / ms.length : Number.NaN
  return {
    target,
    blockTime,
    count: ms.length,
    failed,
    min: ms[0] ?? Number.NaN,
    mean,
    meanError: Math.sqrt(ms.reduce((sum, x) => sum + (x - mean) ** 2, 0) / Math.max(1, ms.length - 1) / ms.length),
    p50: quantile(ms, 0.5),
    p90: quantile(ms, 0.9),
    p99: quantile(ms, 0.99),
    max: ms.at(-1) ?? Number.NaN,
    quoteP50: quantile(quotes, 0.5),
  }
}

const whole = (ms: number) => (Number.isNaN(ms) ? '–' : Math.round(ms).toLocaleString('en-US'))

/** One row per target per block time. */
export function latencyTable(summaries: readonly Summary[]): string {
  return [
    '| blocks | target | measured | failed | min ms | p50 ms | p90 ms | p99 ms | max ms | mean ± s.e. ms | 402 p50 ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summaries.map(
      (s) =>
        `| ${s.blockTime} s | ${s.target} | ${s.count} | ${s.failed} | ${whole(s.min)} | **${whole(s.p50)}** | ${whole(s.p90)} | ${whole(s.p99)} | ${whole(s.max)} | ${whole(s.mean)} ± ${whole(s.meanError)} | ${whole(s.quoteP50)} |`,
    ),
  ].join('\n')
}

/**
 * Each Tollgate target's mean, p50, p90, p99 over each official target's and each of `others` (other
 * checkouts' Tollgate targets), per block time (below 1: the first is faster).
 */
export function ratioTable(summaries: readonly Summary[], others: readonly string[] = []): string {
  const ratio = (a: number, b: number) =>
    Number.isNaN(a) || Number.isNaN(b) || b === 0 ? '–' : `${(a / b).toFixed(2)}×`
  const rows: string[] = []
  for (const ours of summaries.filter((s) => s.target.startsWith('tollgate'))) {
    const baselines = summaries.filter(
      (s) =>
        (s.target.startsWith('official') || others.includes(s.target)) &&
        s.target !== ours.target &&
        s.blockTime === ours.blockTime,
    )
    for (const theirs of baselines) {
      rows.push(
        `| ${ours.blockTime} s | ${ours.target} / ${theirs.target} | ${ratio(ours.mean, theirs.mean)} | ${ratio(ours.p50, theirs.p50)} | ${ratio(ours.p90, theirs.p90)} | ${ratio(ours.p99, theirs.p99)} |`,
      )
    }
  }
  if (rows.length === 0) return ''
  return ['| blocks | ratio | mean | p50 | p90 | p99 |', '| --- | --- | ---: | ---: | ---: | ---: |', ...rows].join(
    '\n',
  )
}

/** What one target's seller received on one chain, against what its buyers were answered. */
export type OnChainCheck = {
  target: string
  blockTime: number
  /** Requests answered 200, the warm-up included. */
  paid: number
  /** The seller's balance (it starts at zero), atomic units. */
  received: bigint
  /** `paid` times the price. */
  expected: bigint
  /** Distinct transactions named in `PAYMENT-RESPONSE`. */
  transactions: number
  /** Of those, how many have no successful receipt. */
  unsuccessful: number
}

/** One row per target per block time. */
export function checkTable(checks: readonly OnChainCheck[]): string {
  const units = (value: bigint) => value.toLocaleString('en-US')
  return [
    '| blocks | target | answered 200 | seller received | expected | transactions | not successful |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...checks.map(
      (c) =>
        `| ${c.blockTime} s | ${c.target} | ${c.paid} | ${units(c.received)} | ${units(c.expected)} | ${c.transactions} | ${c.unsuccessful} |`,
    ),
  ].join('\n')
}
