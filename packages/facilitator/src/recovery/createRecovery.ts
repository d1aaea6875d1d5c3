import type { Client } from 'viem'
import type { Facilitator } from '../createFacilitator.ts'
import { issuePendingReceipt } from '../receipts/issueReceipt.ts'
import { type CreateReconcilerOptions, createReconciler, type ReconcileReport } from './createReconciler.ts'
import { resettle } from './resettle.ts'
import { resumeSettling } from './resumeSettling.ts'
import { takeRequested } from './takeRequested.ts'

export type CreateRecoveryOptions = Omit<CreateReconcilerOptions, 'onRequeued' | 'onSettled'> & {
  /** The client the reconciler reads each chain with, by chain id. Default: the network's own. */
  clients?: ReadonlyMap<number, Client>
}

/**
 * The reconciler's claim on a submitted row for a pass every `intervalMs`: about two passes, 5 to
 * 30 s, so a live node claims it again each pass, and the rows a killed node had claimed are not
 * held from its restart for long. The default `leaseSeconds` of {@link createRecovery}.
 */
export const claimLeaseSeconds = (intervalMs: number): bigint =>
  BigInt(Math.min(30, Math.max(5, Math.ceil((2 * intervalMs) / 1000))))

/** A facilitator's recovery; see {@link createRecovery}. */
export type Recovery = {
  /**
   * Takes over what an earlier process left unmined (journaled transactions: sent again, replaced
   * when stuck), then reconciles now and every `intervalMs` (once only when `intervalMs` is 0).
   */
  start(): Promise<void>
  /** One reconciler pass. */
  run(): Promise<ReconcileReport>
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>
}

/**
 * Everything that finishes payments without a resource server asking again, wired to one
 * facilitator: the takeover of journaled transactions at start (and, on a shared ledger, of the rows
 * this node's dead process left `settling`), the settlements other nodes hand over ({@link takeRequested}),
 * and the reconciler over its Store
 * and networks, whose requeued payments (their transaction can no longer land) are settled again
 * from the ledger with {@link resettle}, and whose payments settled there get their receipt
 * ({@link issuePendingReceipt}, when receipts are on). Faults go to the facilitator's `logError`.
 *
 * @example
 * import { createFacilitator, createRecovery } from '@tollgate/facilitator'
 * const recovery = createRecovery(facilitator, { intervalMs: 30_000 })
 * await recovery.start() // before serving
 * // on shutdown: await recovery.stop(); await facilitator.close()
 */
export function createRecovery(
  facilitator: Facilitator,
  {
    clients,
    intervalMs = 30_000,
    leaseSeconds = claimLeaseSeconds(intervalMs),
    onError = facilitator.logError,
    ...options
  }: CreateRecoveryOptions = {},
): Recovery {
  const chains = [...facilitator.networks.values()].map(({ chainId, client }) => ({
    chainId,
    client: clients?.get(chainId) ?? client,
  }))
  const reconciler = createReconciler(
    { store: facilitator.store, chains },
    {
      ...options,
      leaseSeconds,
      intervalMs: intervalMs > 0 ? intervalMs : 30_000,
      onError,
      onRequeued: (entry, transaction) => {
        void resettle(facilitator, entry, transaction).catch(onError)
      },
      // A payment that was pending gets its receipt as soon as it settles (when one was asked for).
      onSettled: (entry) => {
        void issuePendingReceipt(facilitator, entry).catch(onError)
      },
    },
  )
  const startedAt = facilitator.now()
  // On a shared ledger: the settlements other nodes hand over while this one holds a signer.
  const taker = facilitator.nodeId === undefined ? undefined : takeRequested(facilitator, { onError })
  return {
    async start() {
      await facilitator.resume()
      // This node's own rows left `settling` by its earlier process (the same node id, restarted):
      // nothing of them was sent, so they are settled again now, before the buyers' retries arrive.
      if (facilitator.nodeId !== undefined) await resumeSettling(facilitator, startedAt, onError)
      taker?.start()
      if (intervalMs > 0) reconciler.start()
      else void reconciler.run().catch(onError)
    },
    run: () => reconciler.run(),
    stop: async () => {
      await Promise.all([reconciler.stop(), taker?.stop()])
    },
  }
}
