import type { Now, SignerLeases, Store } from '@tollgate/facilitator'
import type { Address } from 'viem'

/** What {@link signerLeases} needs. */
export type SignerLeasesParameters = {
  /** This node's id in the shared ledger. */
  owner: string
  /** How long a lease lasts in the ledger, in seconds. */
  leaseSeconds: number
  now: Now
}

/**
 * Signer leases held in the ledger, for a ledger shared by several nodes: each signer key is used
 * by one node at a time. Fenced and short: the pool renews the lease every quarter of it and signs
 * only while it surely holds (less 1 s for the ledger clock's granularity and 250 ms of skew between
 * nodes); every journal write before a broadcast carries the lease's epoch.
 */
export function signerLeases(store: Store, { owner, leaseSeconds, now }: SignerLeasesParameters): SignerLeases {
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
