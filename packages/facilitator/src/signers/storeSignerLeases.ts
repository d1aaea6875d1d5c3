import type { Now } from '@tollgate/protocol'
import type { Address } from 'viem'
import type { LeaseStore } from '../store/leaseStore.ts'
import type { SignerLeases } from './signerLeaseTypes.ts'

/** Signer leases kept in the Store, for nodes sharing one ledger (`createFacilitator`'s `signerLeases`). */
export type SignerLeaseOptions = {
  /** This node's id in the shared ledger: the owner of the leases it takes. */
  owner: string
  /** How long a lease lasts in the Store, in seconds (2 or more). Default `6`. */
  leaseSeconds?: number
}

/** What {@link storeSignerLeases} reads and writes the leases with. */
export type StoreSignerLeasesDeps = { store: LeaseStore; now: Now }

/**
 * Signer leases held in the Store ({@link LeaseStore.acquireSigner}), for a ledger shared by several
 * nodes: each signer key is used by one node at a time. Fenced and short: the pool renews the lease
 * every quarter of it and signs only while it surely holds (less 1 s for the Store clock's granularity
 * and 250 ms of skew between nodes); every journal write before a broadcast carries the lease's epoch.
 *
 * @example
 * import { storeSignerLeases } from './storeSignerLeases.ts'
 * const leases = storeSignerLeases({ store, now }, { owner: 'node-a', leaseSeconds: 6 })
 * @see architecture.md (Scale)
 */
export function storeSignerLeases(
  { store, now }: StoreSignerLeasesDeps,
  { owner, leaseSeconds = 6 }: SignerLeaseOptions,
): SignerLeases {
  if (!Number.isInteger(leaseSeconds) || leaseSeconds < 2) {
    throw new TypeError(`leaseSeconds must be a whole number of seconds, 2 or more (got ${leaseSeconds})`)
  }
  return {
    owner,
    validMs: (leaseSeconds - 1) * 1000 - 250,
    heartbeatMs: (leaseSeconds * 1000) / 4,
    acquire: async (signer: Address, epoch: bigint | undefined) =>
      (
        await store.acquireSigner({
          signer,
          owner,
          leaseSeconds: BigInt(leaseSeconds),
          now: now(),
          ...(epoch === undefined ? {} : { epoch }),
        })
      )?.epoch,
    release: (signer: Address, epoch: bigint) => store.releaseSigner({ signer, owner, epoch }),
  }
}
