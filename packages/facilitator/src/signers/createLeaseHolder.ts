import type { Clock } from '@tollgate/protocol'
import type { Address } from 'viem'
import type { SignerLeases } from './signerLeaseTypes.ts'

/** One signer's lease as this node holds it; see {@link createLeaseHolder}. */
export type LeaseHolder = {
  /** The lease is held, surely still valid here, and taken over: the signer may sign now. */
  usable(): boolean
  /** Taken over for the epoch held (nonces re-read, unmined transactions adopted). */
  ready(): boolean
  /** The epoch held; `undefined`: not held (always, without leases). */
  epoch(): bigint | undefined
  /** The lease at `epoch` is no longer ours (a fenced write refused): stop signing at once. */
  lose(epoch: bigint | undefined): void
  /** Renews the lease (or tries to take it), then takes it over if the epoch is new. */
  beat(): Promise<void>
  /** The takeover running now, if any. */
  takingOver(): Promise<void> | undefined
  /** Another node held the lease at the last heartbeat (within `validMs`): it can sign with the key. */
  heldElsewhere(): boolean
  /** Stops renewing and gives the lease back. */
  release(): void
}

const always: LeaseHolder = {
  usable: () => true,
  ready: () => true,
  epoch: () => undefined,
  lose: () => undefined,
  beat: async () => undefined,
  takingOver: () => undefined,
  heldElsewhere: () => false,
  release: () => undefined,
}

/**
 * The lease of `signer` through `leases` (the Store's fenced signer leases). It holds for `validMs`
 * from when a take or renewal was sent, on `clock`; a lease taken gets a new epoch, and the signer
 * is ready only once `takeOver` (re-read the nonce, adopt what earlier holders journaled) finished
 * for it. Without `leases` the signer is always usable.
 */
export function createLeaseHolder({
  leases,
  signer,
  clock,
  takeOver,
}: {
  leases: SignerLeases | undefined
  signer: Address
  clock: Clock
  takeOver: () => Promise<void>
}): LeaseHolder {
  if (!leases) return always
  let epoch: bigint | undefined
  let ready = false
  let validUntil = 0
  let takingOver: Promise<void> | undefined
  let released = false
  /** Until when (clock ms) another node's hold of the lease, seen at a heartbeat, counts. */
  let elsewhereUntil = 0

  const lose = (at: bigint | undefined) => {
    if (epoch !== at) return
    epoch = undefined
    ready = false
    validUntil = 0
  }

  const startTakeOver = (at: bigint) => {
    takingOver = (async () => {
      try {
        await takeOver()
        if (epoch === at) ready = true
      } catch {
        // not ready: the next heartbeat tries again
      } finally {
        takingOver = undefined
      }
    })()
    return takingOver
  }

  return {
    usable: () => ready && epoch !== undefined && clock() < validUntil,
    ready: () => ready,
    epoch: () => epoch,
    lose,
    async beat() {
      if (released) return
      const held = epoch
      const sentAt = clock()
      let taken: bigint | undefined
      try {
        taken = await leases.acquire(signer, held)
      } catch {
        return // the Store could not be asked: the lease runs out here at `validUntil`
      }
      if (released) return
      if (taken === undefined) {
        lose(held)
        elsewhereUntil = sentAt + leases.validMs
        return
      }
      elsewhereUntil = 0
      if (taken !== held) ready = false
      epoch = taken
      validUntil = sentAt + leases.validMs
      if (!ready && !takingOver) await startTakeOver(taken)
    },
    takingOver: () => takingOver,
    heldElsewhere: () => epoch === undefined && clock() < elsewhereUntil,
    release() {
      released = true
      const held = epoch
      epoch = undefined
      ready = false
      if (held !== undefined) void leases.release(signer, held).catch(() => undefined)
    },
  }
}
