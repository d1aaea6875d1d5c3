/**
 * The contract between the signer pool and each signer's lease holder: how a node takes, renews and gives back
 * the lease of a signer key. A leaf: it imports none of the modules that use it.
 */
import type { Address } from 'viem'

/**
 * Who may use a signer key, when several nodes share one ledger (the Store's fenced signer leases).
 * The pool renews each held lease, and tries to take each free one, every `heartbeatMs`; a signer is
 * used only while its last renewal is younger than `validMs`, so a node whose heartbeat fails (the
 * database unreachable, the process paused) stops signing before another node can take the key.
 */
export type SignerLeases = {
  /** This node's id (the lease owner), for fenced writes. */
  owner: string
  /**
   * How long after a take or renewal was *sent* the lease surely still holds here, in ms: the lease
   * length less the Store clock's granularity and the clock skew between nodes.
   */
  validMs: number
  /** Milliseconds between heartbeats. Default `validMs / 4`. */
  heartbeatMs?: number
  /**
   * Takes (`epoch` undefined) or renews (`epoch` held) the lease: the epoch held now, or `undefined`
   * when another owner holds it (or it was taken from us meanwhile). See `Store.acquireSigner`.
   */
  acquire(signer: Address, epoch: bigint | undefined): Promise<bigint | undefined>
  release(signer: Address, epoch: bigint): Promise<void>
}
