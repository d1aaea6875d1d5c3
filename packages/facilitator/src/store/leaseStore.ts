export type AcquireSignerParameters = {
  /** The signer address (compared case-insensitively). */
  signer: string
  /** Who takes the lease (a node id). */
  owner: string
  leaseSeconds: bigint
  /** Seconds since the epoch. */
  now: bigint
  /**
   * The epoch `owner` holds, to renew it. Absent: a new acquisition (a start, a restart under the
   * same node id, a takeover), which always gets a new epoch.
   */
  epoch?: bigint
}

/**
 * A signer lease as {@link LeaseStore.acquireSigner} grants it. `epoch` is the fencing token: it grows
 * at every acquisition (never at a renewal), so a holder that lost the lease, even one paused and
 * woken up later, can no longer pass {@link SignerFence} checks with its old epoch.
 */
export type SignerLease = { epoch: bigint; until: bigint }

export type ReleaseSignerParameters = {
  signer: string
  owner: string
  /** Only this epoch of `owner`'s lease (default: whatever `owner` holds). */
  epoch?: bigint
}

/**
 * What a fenced write checks, atomically with the write: the signer's lease is held by `owner` at
 * `epoch` and has not expired at `now` (seconds).
 */
export type SignerFence = { owner: string; epoch: bigint; now: bigint }

/**
 * The signer-lease port: one node per signer key at a time. Adapters pass `leaseConformance` (in
 * `storeConformance`).
 *
 * @see architecture.md (Scale)
 */
export type LeaseStore = {
  /**
   * Takes or renews the lease of a signer key for `owner` until `now + leaseSeconds`. Granted when the
   * signer is free, when its lease expired (`until <= now`), or when `owner` holds it: a renewal
   * (`epoch` given and current) keeps the epoch, any other grant gets `epoch + 1` (the first is `1n`).
   * `undefined`: another owner holds an unexpired lease, or `owner`'s given epoch is no longer current
   * (it lost the lease meanwhile). One node per signer key; the epoch fences the writes that precede
   * signing (`TransactionStore.saveTransaction` with a fence).
   */
  acquireSigner(parameters: AcquireSignerParameters): Promise<SignerLease | undefined>
  /** Gives the lease back (ends it now; the epoch is kept) if `owner` holds it, otherwise does nothing. */
  releaseSigner(parameters: ReleaseSignerParameters): Promise<void>
}
