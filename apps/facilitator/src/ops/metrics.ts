/**
 * The service's Prometheus metrics (prom-client, a registry per service instance): request outcomes
 * and latencies are observed by the routes, engine events by hooks, and the state (pending
 * settlements, signer balances and nonces) is read at scrape time.
 */
import {
  type Facilitator,
  type ReconcileReport,
  readSettlementGasSpent,
  type SettlementLoss,
} from '@tollgate/facilitator'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Hex } from 'viem'

export type Metrics = {
  registry: Registry
  /** One `/verify` answered: `outcome` is `valid`, the invalid reason, or the 400 code. */
  verified(outcome: string, seconds: number): void
  /**
   * One `/settle` answered: `outcome` is `settled`, the error reason (e.g. `settlement_pending`), or the
   * 400 code; `settlement`, the transaction of a settled one, is measured once from its receipt.
   */
  settled(outcome: string, seconds: number, settlement?: { network: string; transaction: string }): void
  /** A batch that cost more gas than its payments brought in (the gas policy's bounded loss). */
  settlementLoss(loss: SettlementLoss & { network: string }): void
  /** A settlement transaction about to be built with `size` payments. */
  batch(size: number): void
  /** An RPC request that failed (after the transport's retries). */
  rpcError(method: string): void
  /** A reconciler pass. */
  reconciled(report: ReconcileReport): void
  /** One screening decision (`allow`, `allow_degraded`, `block`, `block_unavailable`) at `phase`. */
  screened(decision: string, phase: string): void
  /** A screening provider's error in one decision (`rpc`, `bad_response`, `stale`, `not_loaded`). */
  screeningError(provider: string, code: string): void
  /** One reload of the sanctions list: `loaded`, `unchanged`, `rejected`; `massRemoval` when reported. */
  sanctionsReloaded(result: 'loaded' | 'unchanged' | 'rejected', removed: number, massRemoval: boolean): void
  /** Where the sanctions list's age and size are read at scrape time. */
  watchSanctions(read: () => { ageSeconds: number; addresses: number } | undefined): void
  /** Attaches the facilitator whose state is read at scrape time. */
  watch(facilitator: Facilitator): void
  /** The exposition text (`text/plain; version=0.0.4`). */
  render(): Promise<string>
  contentType: string
}

const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
/** Ledger rows looked at per scrape for the pending gauges (bounded). */
const pendingScan = 1_000
/** Ledger states of a settlement not final yet. */
const pendingStates = ['requested', 'settling', 'submitted', 'preconfirmed'] as const

/**
 * Builds the metrics. `tollgate_` prefix; per-request labels are bounded (outcome codes come from the
 * error table, methods from JSON-RPC).
 *
 * @example
 * const metrics = createMetrics({ now: systemNow })
 * metrics.watch(facilitator)
 * const text = await metrics.render()
 */
export function createMetrics({ now }: { now: () => bigint }): Metrics {
  const registry = new Registry()
  let watched: Facilitator | undefined
  const verifyTotal = new Counter({
    name: 'tollgate_verify_total',
    help: '/verify answers by outcome code',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const settleTotal = new Counter({
    name: 'tollgate_settle_total',
    help: '/settle answers by outcome code',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const verifySeconds = new Histogram({
    name: 'tollgate_verify_duration_seconds',
    help: '/verify latency',
    buckets: latencyBuckets,
    registers: [registry],
  })
  const settleSeconds = new Histogram({
    name: 'tollgate_settle_duration_seconds',
    help: '/settle latency (includes the wait for the receipt)',
    buckets: latencyBuckets,
    registers: [registry],
  })
  const batchSize = new Histogram({
    name: 'tollgate_settlement_batch_size',
    help: 'payments per settlement transaction',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [registry],
  })
  const gasPerPayment = new Histogram({
    name: 'tollgate_settlement_gas_per_payment',
    help: 'gas used per payment of each settlement transaction, from its receipt (gasUsed / payments carried)',
    buckets: [30_000, 40_000, 45_000, 60_000, 80_000, 100_000, 400_000],
    registers: [registry],
  })
  const lossTotal = new Counter({
    name: 'tollgate_settlement_loss_total',
    help: 'gas cost beyond what batched payments brought in, in the asset atomic units (USDC: micro-dollars)',
    labelNames: ['network'],
    registers: [registry],
  })
  const lossBatches = new Counter({
    name: 'tollgate_settlement_loss_batches_total',
    help: 'settlement batches that cost more gas than their payments brought in',
    labelNames: ['network'],
    registers: [registry],
  })
  /** Transactions measured already (a batch answers each of its payments with the same hash). */
  const measured = new Set<string>()
  const measure = async ({ network, transaction }: { network: string; transaction: string }) => {
    const key = transaction.toLowerCase()
    const chain = [...(watched?.networks.values() ?? [])].find((known) => known.network === network)
    if (!chain || measured.has(key)) return
    measured.add(key)
    if (measured.size > 10_000) measured.delete(measured.values().next().value as string)
    const spent = await readSettlementGasSpent(chain.client, { transaction: transaction as Hex })
    if (!spent) {
      measured.delete(key)
      return
    }
    for (let i = 0; i < spent.payments; i++) gasPerPayment.observe(Number(spent.gasPerPayment))
  }
  const rpcErrors = new Counter({
    name: 'tollgate_rpc_errors_total',
    help: 'failed RPC requests by JSON-RPC method',
    labelNames: ['method'],
    registers: [registry],
  })
  const reconcilerActions = new Counter({
    name: 'tollgate_reconciler_actions_total',
    help: 'ledger rows the reconciler finished or moved, by action',
    labelNames: ['action'],
    registers: [registry],
  })
  const reconcilerPasses = new Counter({
    name: 'tollgate_reconciler_passes_total',
    help: 'reconciler passes',
    registers: [registry],
  })
  let sanctions: (() => { ageSeconds: number; addresses: number } | undefined) | undefined
  const screeningDecisions = new Counter({
    name: 'tollgate_screening_decisions_total',
    help: 'sanctions screening decisions by decision and phase',
    labelNames: ['decision', 'phase'],
    registers: [registry],
  })
  const screeningErrors = new Counter({
    name: 'tollgate_screening_provider_errors_total',
    help: 'screening provider errors by provider and code (a fail-closed one declines the payment)',
    labelNames: ['provider', 'code'],
    registers: [registry],
  })
  const sanctionsReloads = new Counter({
    name: 'tollgate_screening_list_reloads_total',
    help: 'sanctions list reloads by result (loaded, unchanged, rejected)',
    labelNames: ['result'],
    registers: [registry],
  })
  const sanctionsRemoved = new Counter({
    name: 'tollgate_screening_list_removed_total',
    help: 'addresses removed from the sanctions list by reloads',
    registers: [registry],
  })
  const massRemovals = new Counter({
    name: 'tollgate_screening_list_mass_removals_total',
    help: 'reloads that removed more than the alert share of the sanctions list',
    registers: [registry],
  })
  new Gauge({
    name: 'tollgate_screening_list_age_seconds',
    help: 'age of the loaded sanctions list (since its source was last checked)',
    registers: [registry],
    collect() {
      const list = sanctions?.()
      if (list) this.set(list.ageSeconds)
    },
  })
  new Gauge({
    name: 'tollgate_screening_list_addresses',
    help: 'EVM addresses in the loaded sanctions list',
    registers: [registry],
    collect() {
      const list = sanctions?.()
      if (list) this.set(list.addresses)
    },
  })
  new Gauge({
    name: 'tollgate_pending_settlements',
    help: 'ledger rows handed over, settling, submitted or preconfirmed (not final yet), up to 1000 looked at',
    registers: [registry],
    async collect() {
      if (!watched) return
      const rows = await watched.store.list({ states: pendingStates, limit: pendingScan })
      this.set(rows.length)
    },
  })
  new Gauge({
    name: 'tollgate_pending_settlement_oldest_age_seconds',
    help: 'age of the oldest handed-over, settling, submitted or preconfirmed ledger row (0 when none)',
    registers: [registry],
    async collect() {
      if (!watched) return
      const rows = await watched.store.list({ states: pendingStates, limit: pendingScan })
      const oldest = rows.reduce<bigint | undefined>(
        (min, row) => (min === undefined || row.createdAt < min ? row.createdAt : min),
        undefined,
      )
      this.set(oldest === undefined ? 0 : Math.max(0, Number(now() - oldest)))
    },
  })
  // Optimistic deliveries, read from the shared ledger (the same on every node): each ends settled or lost.
  const optimisticTotals = async () => (watched ? await watched.store.exposureTotals() : undefined)
  new Gauge({
    name: 'tollgate_optimistic_deliveries',
    help: 'payments delivered before inclusion, by outcome: open (not final), settled, lost (failed or expired)',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const totals = await optimisticTotals()
      if (!totals) return
      this.set({ outcome: 'open' }, totals.openCount)
      this.set({ outcome: 'settled' }, totals.settledCount)
      this.set({ outcome: 'lost' }, totals.lostCount)
    },
  })
  new Gauge({
    name: 'tollgate_optimistic_amount',
    help: 'atomic units delivered before inclusion, by outcome: open (the exposure now), settled, lost',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      const totals = await optimisticTotals()
      if (!totals) return
      this.set({ outcome: 'open' }, Number(totals.open))
      this.set({ outcome: 'settled' }, Number(totals.settled))
      this.set({ outcome: 'lost' }, Number(totals.lost))
    },
  })
  new Gauge({
    name: 'tollgate_inflight_settlements',
    help: 'settlements in progress in this process',
    registers: [registry],
    collect() {
      if (watched) this.set(watched.inflight.size)
    },
  })
  new Gauge({
    name: 'tollgate_signer_balance_wei',
    help: 'last read balance of each signer (wei; float)',
    labelNames: ['network', 'signer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const { network, settler } of watched?.networks.values() ?? []) {
        for (const { address, balance } of settler.signers()) {
          if (balance !== undefined) this.set({ network, signer: address }, Number(balance))
        }
      }
    },
  })
  new Gauge({
    name: 'tollgate_signer_leased',
    help: 'whether this node holds the signer (1) or not (0)',
    labelNames: ['network', 'signer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const { network, settler } of watched?.networks.values() ?? []) {
        for (const { address, leased } of settler.signers()) this.set({ network, signer: address }, leased ? 1 : 0)
      }
    },
  })
  new Gauge({
    name: 'tollgate_signer_inflight',
    help: 'settlements being sent or awaiting their receipt, per signer',
    labelNames: ['network', 'signer'],
    registers: [registry],
    collect() {
      this.reset()
      for (const { network, settler } of watched?.networks.values() ?? []) {
        for (const { address, inFlight } of settler.signers()) this.set({ network, signer: address }, inFlight)
      }
    },
  })
  new Gauge({
    name: 'tollgate_signer_nonce',
    help: 'transaction count of each signer on chain, by block tag (latest: mined; pending: sent)',
    labelNames: ['network', 'signer', 'tag'],
    registers: [registry],
    async collect() {
      this.reset()
      const reads: Promise<void>[] = []
      for (const { network, client, settler } of watched?.networks.values() ?? []) {
        for (const address of settler.addresses) {
          for (const tag of ['latest', 'pending'] as const) {
            reads.push(
              client
                .request({ method: 'eth_getTransactionCount', params: [address, tag] })
                .then((count) => this.set({ network, signer: address, tag }, Number(BigInt(count as string))))
                .catch(() => undefined), // unreachable RPC: counted by tollgate_rpc_errors_total, gauge absent
            )
          }
        }
      }
      await Promise.all(reads)
    },
  })

  return {
    registry,
    contentType: registry.contentType,
    verified(outcome, seconds) {
      verifyTotal.inc({ outcome })
      verifySeconds.observe(seconds)
    },
    settled(outcome, seconds, settlement) {
      settleTotal.inc({ outcome })
      settleSeconds.observe(seconds)
      if (settlement) void measure(settlement).catch(() => undefined)
    },
    settlementLoss({ network, loss }) {
      lossTotal.inc({ network }, Number(loss))
      lossBatches.inc({ network })
    },
    batch(size) {
      batchSize.observe(size)
    },
    rpcError(method) {
      rpcErrors.inc({ method })
    },
    reconciled({ examined, ...actions }) {
      reconcilerPasses.inc()
      for (const [action, n] of Object.entries(actions)) if (n > 0) reconcilerActions.inc({ action }, n)
    },
    screened(decision, phase) {
      screeningDecisions.inc({ decision, phase })
    },
    screeningError(provider, code) {
      screeningErrors.inc({ provider, code })
    },
    sanctionsReloaded(result, removed, massRemoval) {
      sanctionsReloads.inc({ result })
      if (removed > 0) sanctionsRemoved.inc(removed)
      if (massRemoval) massRemovals.inc()
    },
    watchSanctions(read) {
      sanctions = read
    },
    watch(facilitator) {
      watched = facilitator
    },
    render: () => registry.metrics(),
  }
}
