import type { Clock } from '@tollgate/protocol'
import type { Address, Client, Hex } from 'viem'
import { keccak256, parseTransaction } from 'viem'
import { getTransactionCount } from 'viem/actions'
import { broadcast } from './broadcast.ts'
import type { FeeOracle, Fees } from './createFeeOracle.ts'
import type { NonceAllocator } from './createNonceAllocator.ts'
import type { AdoptedTransaction, SignedSettlement, SignedTransaction } from './settlerTypes.ts'
import { replacementFees, type Signed, type SignTransaction, type TransactionCall } from './signTransaction.ts'

/** Records a replacement for the payments a transaction settles; throws once none is left to record. */
type Record = (settlement: SignedSettlement) => Promise<void>

/** A transaction sent at one nonce and not yet seen mined: what the keeper sends again or replaces. */
type Sent = TransactionCall & {
  nonce: number
  /** Fees of `raw`, the version sent last. */
  fees: Fees
  raw: Hex
  /** Every hash sent at this nonce, oldest first: a receipt of any of them settles the payment. */
  hashes: Hex[]
  /** When `raw` was signed, and when it was last broadcast (clock ms). */
  signedAt: number
  sentAt: number
  /** Absent once its payments moved on (then it is only ever sent again as it is). */
  record: Record | undefined
}

export type KeeperDeps = {
  client: Client
  signer: Address
  chainId: number
  nonces: NonceAllocator
  sign: SignTransaction
  fees: FeeOracle
  clock: Clock
  canSign: () => boolean
  journal: ((transaction: SignedTransaction) => Promise<void>) | undefined
}

export type KeeperOptions = {
  feeCap: bigint | undefined
  replaceAfterMs: number
  rebroadcastAfterMs: number
}

/** One signer's unmined transactions, kept until mined; see {@link createKeeper}. */
export type Keeper = {
  /** Keeps a transaction just broadcast (or possibly broadcast) at `nonce`. */
  track(nonce: number, call: TransactionCall, signed: Signed, record: Record): void
  /** Signs and sends a 0-value self-transfer at a free nonce below others already sent. */
  fillGap(nonce: number): Promise<void>
  /** Every hash sent at `nonce` while it is kept (replacements included). */
  hashesAt(nonce: number): readonly Hex[] | undefined
  /** Takes over transactions an earlier process signed and journaled (see {@link Settler.adopt}). */
  adopt(transactions: readonly AdoptedTransaction[]): void
  close(): void
}

/** The keeper looks at the lowest this many unmined nonces per round. */
const keptPerRound = 16

/**
 * Keeps one signer's transactions moving until they are mined. While anything is unmined it runs a
 * round every `min(1 s, rebroadcastAfterMs / 2, replaceAfterMs / 2)` (at least 100 ms):
 * - forgets what is mined;
 * - fills holes (nonces given back below ones sent) and orphans (nonces below ours that nothing of
 *   ours covers, for `3 × rebroadcastAfterMs`) with 0-value self-transfers;
 * - sends the lowest unmined transactions again after `rebroadcastAfterMs` (a node that lost one
 *   learns it again), and replaces them after `replaceAfterMs` at higher fees, journaled and recorded
 *   first.
 * Ages are read on the injected clock.
 */
export function createKeeper(
  { client, signer, chainId, nonces, sign, fees, clock, canSign, journal }: KeeperDeps,
  { feeCap, replaceAfterMs, rebroadcastAfterMs }: KeeperOptions,
): Keeper {
  let closed = false
  /** Sent transactions not yet seen mined, by nonce. */
  const sent = new Map<number, Sent>()

  const track: Keeper['track'] = (nonce, call, signed, record) => {
    const now = clock()
    sent.set(nonce, {
      nonce,
      ...call,
      fees: signed.fees,
      raw: signed.serialized,
      hashes: [signed.hash],
      signedAt: now,
      sentAt: now,
      record,
    })
    keep()
  }

  const fillGap = async (nonce: number): Promise<void> => {
    if (closed || !canSign() || !nonces.take(nonce)) return
    const call = { to: signer, data: '0x' as Hex, gas: 21_000n }
    try {
      const signed = await sign(nonce, call)
      if (canSign() && (await broadcast(client, signed.serialized, signed.hash)).kind !== 'rejected') {
        nonces.commit(nonce)
        track(nonce, call, signed, async () => undefined) // a gap filler has no payment to record
        return
      }
    } catch {
      // given back below
    }
    // Give it back quietly (the next settlement takes the lowest free nonce first); the keeper retries.
    nonces.release(nonce, false)
    keep()
  }

  /** Sends a replacement of a stuck transaction: same nonce, fees up by at least 12.5%, never above the cap. */
  const replace = async (stuck: Sent): Promise<void> => {
    if (!canSign()) return
    let current: Fees
    try {
      current = await fees()
    } catch {
      return // try again next round
    }
    const raised = replacementFees(stuck.fees, current, feeCap)
    if (!raised) return // at the cap: stay pending
    const signed = await sign(stuck.nonce, stuck, raised)
    const settlement = { hash: signed.hash, nonce: BigInt(stuck.nonce), signer }
    try {
      await journal?.({ ...settlement, raw: signed.serialized })
    } catch {
      return // not journaled: send nothing, try again next round
    }
    try {
      await stuck.record?.(settlement)
    } catch {
      stuck.record = undefined // its payments moved on (settled elsewhere): only ever send it again as it is
      return
    }
    stuck.hashes.push(signed.hash)
    stuck.fees = signed.fees
    stuck.raw = signed.serialized
    stuck.signedAt = clock()
    stuck.sentAt = stuck.signedAt
    // Recorded and journaled: sent now, or (the lease lost meanwhile) by whoever adopts it.
    if (canSign()) await broadcast(client, signed.serialized, signed.hash)
  }

  /** When each orphan nonce was first seen (see {@link fillOrphans}). */
  const orphans = new Map<number, number>()
  const orphanAfterMs = Math.max(1_000, 3 * rebroadcastAfterMs)

  /**
   * Nonces below one we are sending that nothing of ours covers (no transaction we know, not free,
   * not being sent): an earlier process's gap filler or a payment whose row moved on, maybe lost by
   * the node. Left alone, every later transaction waits behind them; once one has been orphaned for
   * `orphanAfterMs` it is filled with a 0-value self-transfer (refused by the node, harmlessly, while
   * it still holds a transaction there at a higher fee).
   */
  const fillOrphans = async (mined: number) => {
    const highest = Math.max(-1, ...sent.keys())
    const now = clock()
    for (const nonce of orphans.keys())
      if (nonce < mined || sent.has(nonce) || nonces.held(nonce)) orphans.delete(nonce)
    for (let nonce = mined; nonce < highest && nonce < mined + keptPerRound; nonce++) {
      if (sent.has(nonce) || nonces.held(nonce)) continue
      const since = orphans.get(nonce)
      if (since === undefined) orphans.set(nonce, now)
      else if (now - since >= orphanAfterMs) {
        orphans.delete(nonce)
        nonces.release(nonce, false)
        await fillGap(nonce)
      }
    }
  }

  /** One round: forgets what is mined, fills holes, and sends the lowest unmined transactions again or replaces them. */
  const keepRound = async () => {
    const mined = await getTransactionCount(client, { address: signer, blockTag: 'latest' })
    for (const nonce of sent.keys()) if (nonce < mined) sent.delete(nonce)
    if (canSign()) {
      for (const hole of nonces.holes()) if (hole >= mined) await fillGap(hole)
      await fillOrphans(mined)
    }
    const now = clock()
    const replacing = (tx: Sent) => tx.record !== undefined && now - tx.signedAt >= replaceAfterMs
    const due = [...sent.values()]
      .filter((tx) => now - tx.sentAt >= rebroadcastAfterMs || replacing(tx))
      .sort((a, b) => a.nonce - b.nonce)
      .slice(0, keptPerRound)
    for (const tx of due) {
      if (closed) return
      if (replacing(tx)) {
        await replace(tx).catch(() => undefined)
        continue
      }
      tx.sentAt = clock()
      await broadcast(client, tx.raw, tx.hashes.at(-1) as Hex)
    }
  }

  let keeping = false
  let wakeKeeper: (() => void) | undefined
  const keepIntervalMs = Math.max(100, Math.min(1_000, rebroadcastAfterMs / 2, replaceAfterMs / 2))
  /** Starts the keeper if it is idle; it stops when nothing is unmined and no hole is left. */
  function keep() {
    if (keeping || closed) return
    keeping = true
    void (async () => {
      try {
        while (!closed && (sent.size > 0 || nonces.holes().length > 0)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, keepIntervalMs)
            wakeKeeper = () => {
              clearTimeout(timer)
              resolve()
            }
          })
          if (!closed) await keepRound().catch(() => undefined)
        }
      } finally {
        keeping = false
        wakeKeeper = undefined
      }
    })()
  }

  const adopt: Keeper['adopt'] = (transactions) => {
    for (const { signer: from, raw, record } of transactions) {
      if (from.toLowerCase() !== signer.toLowerCase()) continue
      let tx: ReturnType<typeof parseTransaction>
      try {
        tx = parseTransaction(raw)
      } catch {
        continue
      }
      if (tx.type !== 'eip1559' || tx.chainId !== chainId || tx.nonce === undefined || !tx.to) continue
      const nonce = tx.nonce
      const hash = keccak256(raw)
      const fees = { maxFeePerGas: tx.maxFeePerGas ?? 0n, maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? 0n }
      nonces.observe(nonce)
      const known = sent.get(nonce)
      if (!known) {
        // Sent at once by the keeper (never sent by this process); replaced once `replaceAfterMs` passes from now.
        const at = { signedAt: clock(), sentAt: Number.NEGATIVE_INFINITY }
        sent.set(nonce, {
          nonce,
          to: tx.to,
          data: tx.data ?? '0x',
          gas: tx.gas ?? 0n,
          fees,
          raw,
          hashes: [hash],
          ...at,
          record,
        })
        continue
      }
      if (known.hashes.includes(hash)) continue
      known.hashes.push(hash)
      known.record ??= record
      // Replacements start from the highest fees sent at the nonce.
      if (fees.maxFeePerGas > known.fees.maxFeePerGas) {
        Object.assign(known, { fees, raw, sentAt: Number.NEGATIVE_INFINITY })
      }
    }
    keep()
  }

  return {
    track,
    fillGap,
    hashesAt: (nonce) => sent.get(nonce)?.hashes,
    adopt,
    close() {
      closed = true
      wakeKeeper?.()
    },
  }
}
