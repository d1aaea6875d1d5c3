import type { Address, Hex } from 'viem'
import type { LedgerEntry } from './ledgerStore.ts'

/*
 * Optimistic delivery's exposure, read from the ledger itself: a row delivered before its settlement
 * was included carries `optimistic: true`. While it is not final it counts against its payer's and its
 * payee's exposure; once `settled` it is paid; once `failed`, `expired` (or `released`) it is a loss, and its payer
 * gets no further optimistic delivery. Nothing is counted apart from the rows, so every node sharing
 * the ledger sees the same exposure, and no release can be lost.
 */

export type OptimisticDeliveryParameters = {
  /** Digest of the claim of the request that serves the content (written to `deliveredTo`). */
  claim: Hex
  /**
   * Most unconfirmed optimistic amount of the payer (same chain and asset, every payee), this
   * payment included. `0n`: no optimistic delivery.
   */
  maxPerPayer: bigint
  /** Most unconfirmed optimistic amount owed to the payee (same chain and asset, every payer), this payment included. */
  maxPerSeller: bigint
  /** Seconds since the epoch, written to `updatedAt`. */
  now: bigint
}

/** Why an optimistic delivery was refused (the payment then settles as usual, then is delivered). */
export type OptimisticRefusal =
  /** The payer's unconfirmed optimistic amount would pass `maxPerPayer`. */
  | 'payer_exposure'
  /** The payee's unconfirmed optimistic amount would pass `maxPerSeller`. */
  | 'seller_exposure'
  /** An earlier optimistic payment of this payer (same chain) failed, expired or was released: a loss. */
  | 'payer_lost'
  /** The row is not `settling` or `submitted`, or its delivery is taken by another claim. */
  | 'state'

export type OptimisticDeliveryResult =
  | { ok: true; entry: LedgerEntry }
  | { ok: false; reason: OptimisticRefusal; entry: LedgerEntry | undefined }

/** Whose exposure to read: a payer's or a payee's, on one chain and asset. */
export type ExposureScope = { chainId: number; asset: Address } & (
  | { payer: Address; payTo?: undefined }
  | { payTo: Address; payer?: undefined }
)

/** Optimistic deliveries of one scope: amounts in atomic units. */
export type Exposure = {
  /** Delivered, not yet final: the amount at risk now. */
  open: bigint
  /** Delivered, then failed or expired. */
  lost: bigint
  /** Delivered, then settled. */
  settled: bigint
  openCount: number
  lostCount: number
  settledCount: number
}

/**
 * The exposure port (part of the Store). `takeOptimisticDelivery` is one atomic decision, across
 * concurrent requests and across nodes sharing the Store: of concurrent takers whose sum would pass a
 * limit, only those that fit win. Adapters pass `exposureConformance` (in `storeConformance`).
 *
 * @see delivery.md (Optimistic delivery)
 */
export type ExposureStore = {
  /**
   * Delivers the `settling` or `submitted` entry `id` before its settlement is included, if its payer
   * has no optimistic loss on this chain and the payer's and payee's open optimistic amounts, this
   * one included, stay within the limits: then sets `optimistic` and `deliveredTo = claim`. The same
   * claim asking again for an entry it already holds wins again (a lost answer).
   */
  takeOptimisticDelivery(id: string, parameters: OptimisticDeliveryParameters): Promise<OptimisticDeliveryResult>
  /** The optimistic deliveries of a payer or a payee (see {@link Exposure}). */
  exposure(scope: ExposureScope): Promise<Exposure>
  /** Every optimistic delivery of the ledger, summed over chains and assets (for metrics). */
  exposureTotals(): Promise<Exposure>
}

/**
 * States an optimistic row is open (counted as exposure) in: every state but settled and the losses
 * (handed over to a signing node, and answered on a preconfirmation not yet sealed, included).
 */
export const openStates = ['reserved', 'requested', 'settling', 'submitted', 'preconfirmed'] as const

/** {@link openStates} as an SQL condition on `state`. */
export const openStatesSql = `state IN (${openStates.map((state) => `'${state}'`).join(', ')})`
/**
 * States an optimistic row is a loss in: failed, expired, or released (given back and released by its
 * holder: nothing will settle it, and its content was delivered).
 */
export const lostStates = ['failed', 'expired', 'released'] as const

/** An empty {@link Exposure}. */
export const noExposure: Exposure = { open: 0n, lost: 0n, settled: 0n, openCount: 0, lostCount: 0, settledCount: 0 }

/**
 * Adds optimistic entries to an {@link Exposure}: one entry, or `count` entries of one state summing
 * to `amount` (for adapters that sum rows themselves).
 */
export function addToExposure(total: Exposure, entry: Pick<LedgerEntry, 'state' | 'amount'>, count = 1): Exposure {
  if (entry.state === 'settled') {
    return { ...total, settled: total.settled + entry.amount, settledCount: total.settledCount + count }
  }
  if ((lostStates as readonly string[]).includes(entry.state)) {
    return { ...total, lost: total.lost + entry.amount, lostCount: total.lostCount + count }
  }
  return { ...total, open: total.open + entry.amount, openCount: total.openCount + count }
}

/** What an adapter read, under its lock, to decide one {@link ExposureStore.takeOptimisticDelivery}. */
export type OptimisticReadings = {
  /** The payer's open optimistic amount (chain, asset), this entry excluded. */
  payerOpen: bigint
  /** The payee's open optimistic amount (chain, asset), this entry excluded. */
  sellerOpen: bigint
  /** Whether the payer has an optimistic loss on this chain. */
  payerLost: boolean
}

/**
 * The one decision of {@link ExposureStore.takeOptimisticDelivery}, shared by every adapter: `true`
 * to write `optimistic` and `deliveredTo`, `'again'` for the same claim already holding it, or the refusal.
 */
export function judgeOptimisticDelivery(
  entry: LedgerEntry,
  { claim, maxPerPayer, maxPerSeller }: OptimisticDeliveryParameters,
  { payerOpen, sellerOpen, payerLost }: OptimisticReadings,
): true | 'again' | OptimisticRefusal {
  if (entry.optimistic && entry.deliveredTo === claim) return 'again'
  if ((entry.state !== 'settling' && entry.state !== 'submitted') || entry.deliveredTo !== undefined) return 'state'
  if (payerLost) return 'payer_lost'
  if (payerOpen + entry.amount > maxPerPayer) return 'payer_exposure'
  if (sellerOpen + entry.amount > maxPerSeller) return 'seller_exposure'
  return true
}

/** The facilitator's bounds on optimistic delivery, in the asset's atomic units. */
export type OptimisticLimits = {
  /** Most unconfirmed optimistic amount of one payer (chain and asset, every payee). Default `1_000_000n` (1 USDC). */
  maxPerPayer?: bigint
  /** Most unconfirmed optimistic amount owed to one payee (chain and asset, every payer). Default `100_000_000n` (100 USDC). */
  maxPerSeller?: bigint
}

export const defaultOptimisticLimits: Required<OptimisticLimits> = {
  maxPerPayer: 1_000_000n,
  maxPerSeller: 100_000_000n,
}
