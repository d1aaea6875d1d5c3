import { eip3009Abi } from '@tollgate/evm'
import { type Now, systemNow } from '@tollgate/protocol'
import type { Client, Hex, TransactionReceipt } from 'viem'
import { getBlockNumber, getTransactionCount, readContract } from 'viem/actions'
import { sendOnce } from '../engine/broadcast.ts'
import { isKnownTransaction, isSealed, receiptOf } from '../engine/chainReads.ts'
import {
  authorizationOnChain,
  type JudgeSettlementReturnType,
  judgeSettlement,
  judgeSettlementOnChain,
} from '../outcome/judgeSettlement.ts'
import {
  confirmSealed,
  expire,
  giveBack as giveBackRow,
  recordFailed,
  recordSettled,
  recordSpentNonce,
  type SpentNonce,
} from '../store/ledger.ts'
import type { LedgerEntry, LedgerStore, TransitionResult } from '../store/ledgerStore.ts'
import type { TransactionStore } from '../store/transactionStore.ts'

/** A chain the reconciler asks: rows whose `chainId` has no entry here are left alone. */
export type ReconcilerChain = { chainId: number; client: Client }

export type CreateReconcilerDeps = {
  /** The ledger it finishes rows of, and the journal it sends lost transactions from. */
  store: LedgerStore & TransactionStore
  chains: readonly ReconcilerChain[]
}

export type CreateReconcilerOptions = {
  /** Seconds since the epoch. Default: the system clock. */
  now?: Now
  /** This node's id for {@link LedgerStore.claim}. Default: a random id. */
  owner?: string
  /** Length of the claim on a `submitted` row. Default `30n`. */
  leaseSeconds?: bigint
  /** Rows looked at per state and run. Default `500`. */
  limit?: number
  /** Milliseconds between runs once {@link Reconciler.start}ed. Default `30_000`. */
  intervalMs?: number
  /**
   * A `settling` row without a claim (`claimedUntil`), or a `submitted` one whose transaction the node
   * does not know, counts as abandoned once `updatedAt` is this many seconds old. Default `60n`: far
   * beyond the time from claim to broadcast in a live node.
   */
  staleSeconds?: bigint
  /** How far back (blocks) to look for the `AuthorizationUsed` log of a spent authorization. Default `100_000n`. */
  logLookbackBlocks?: bigint
  /** Where errors of a periodic run go. Default: ignored (the next run tries again). */
  onError?: (error: unknown) => void
  /** Called after each pass with what it did (for metrics and logs). */
  onReport?: (report: ReconcileReport) => void
  /**
   * Called when a row whose settlement was asked for goes back to `reserved` (its transaction can no
   * longer land, or a `settling` row was abandoned before anything was signed), with the row as it
   * was and its last transaction hash if any; also for a `reserved` row that `/settle` reserved or
   * gave back (no `/verify` lease, `reservedUntil` absent) and that sat for `staleSeconds` with its
   * authorization unspent. Pass it to `resettle` so the payment is settled without waiting for the
   * resource server to ask again.
   */
  onRequeued?: (entry: LedgerEntry, transaction: Hex | undefined) => void
  /** Called with the row once this reconciler has moved it to `settled` (e.g. to issue its receipt). */
  onSettled?: (entry: LedgerEntry) => void
}

/** What one run did, by outcome. */
export type ReconcileReport = {
  /** Rows looked at. */
  examined: number
  settled: number
  failed: number
  expired: number
  /** Rows given back to `reserved` (nothing of theirs can land any more). */
  requeued: number
  /** Rows whose journaled transaction the node did not know: sent again, still pending. */
  rebroadcast: number
  /** Rows left as they were (a transaction still pending, or the chain could not be asked). */
  pending: number
}

/** Finishes non-final ledger rows by asking the chain; see {@link createReconciler}. */
export type Reconciler = {
  /** One pass over `submitted`, `settling` and expired `reserved` rows. Concurrent calls share one pass. */
  run(): Promise<ReconcileReport>
  /** Runs now, then every `intervalMs` (one pass at a time). */
  start(): void
  /** Stops the timer and waits for a running pass. */
  stop(): Promise<void>
}

type Outcome = 'settled' | 'failed' | 'expired' | 'requeued' | 'rebroadcast' | 'pending'

/**
 * The ledger's reconciler: on start and every `intervalMs`, finishes every non-final row by asking
 * the chain, so a crash (or a lost RPC answer) at any point loses no payment and pays none twice.
 * Every outcome is a compare-and-set transition; a later `/settle` of the same payment answers from it.
 *
 * - `submitted` (claimed with {@link LedgerStore.claim}, so two nodes never reconcile one row): the recorded
 *   transaction's receipt is judged by {@link judgeSettlement}, the one judgement `/settle` makes too
 *   (`settled` when it spent this authorization with this payment's `Transfer`; else the chain is asked
 *   who spent the authorization, if anyone). Without a
 *   receipt, at one block: the authorization spent means it landed (perhaps by a replacement): the
 *   transaction is found through the token's `AuthorizationUsed` log and the row is `settled` with it;
 *   unspent while the signer's mined nonce is past the row's, nothing of it can land: back to
 *   `reserved` (or `expired` past `validBefore`); likewise when the node does not know the transaction
 *   and the row was not updated for `staleSeconds` (recorded, then the process died before broadcast),
 *   unless the transaction is journaled (Store `saveTransaction`): then it is sent again as signed;
 *   otherwise still pending: left to the engine (fee bumping).
 * - A spent nonce counts as this payment only if the transaction that spent it moved exactly this
 *   payment (`movesPayment`, with the `Transfer` of the exact amount to `payTo` in it; see
 *   {@link judgeSettlement}): the payer may spend its nonce on another authorization of its own (to
 *   itself, for 1 unit). Then, as with the payer's `AuthorizationCanceled`, the row is `failed` with
 *   `invalid_exact_evm_nonce_already_used`, never `settled`.
 * - `preconfirmed` (answered settled on a receipt not yet in a sealed block; claimed like `submitted`):
 *   its receipt in a sealed block moves it to `settled` (or `failed`, reverted there); a transaction the
 *   node no longer knows (a dropped preconfirmation) is sent again from the journal, as signed; one that
 *   cannot land as signed any more is given back to `reserved` and settled again (`onRequeued`).
 * - `settling` whose claim expired (or, unclaimed, not updated for `staleSeconds`): nothing was
 *   broadcast (`submitted` is written first), so back to `reserved`, unless the chain shows the
 *   authorization spent.
 * - `requested` (handed over to a node that holds a signer, not taken yet): `expired` past `validBefore`,
 *   or judged when the chain shows the authorization spent.
 * - `reserved` past `validBefore`: `expired` (or `settled` if the chain shows it spent); a `reserved`
 *   row not updated for `staleSeconds` is `settled` if the chain shows it spent (it landed after all).
 *
 * @example
 * import { createReconciler } from '@tollgate/facilitator'
 * const reconciler = createReconciler({ store, chains: [{ chainId: 8453, client }] }, { intervalMs: 30_000 })
 * reconciler.start()
 * await reconciler.stop()
 * @see architecture.md (The ledger); chain.md §6
 */
export function createReconciler(
  { store, chains }: CreateReconcilerDeps,
  {
    now = systemNow,
    owner = `reconciler-${Math.random().toString(36).slice(2, 10)}`,
    leaseSeconds = 30n,
    limit = 500,
    intervalMs = 30_000,
    staleSeconds = 60n,
    logLookbackBlocks = 100_000n,
    onError = () => undefined,
    onReport,
    onRequeued,
    onSettled,
  }: CreateReconcilerOptions = {},
): Reconciler {
  const clients = new Map(chains.map(({ chainId, client }) => [chainId, client]))

  const authorizationState = (client: Client, entry: LedgerEntry, blockNumber?: bigint) =>
    readContract(client, {
      address: entry.asset,
      abi: eip3009Abi,
      functionName: 'authorizationState',
      args: [entry.payer, entry.nonce],
      ...(blockNumber === undefined ? {} : { blockNumber }),
    })

  /** Whether a move was made; a payment it settled is reported. */
  const moved = async (result: Promise<TransitionResult>) => {
    const { ok, entry } = await result
    if (ok && entry.state === 'settled') onSettled?.(entry)
    return ok
  }

  /**
   * Walks the row to `settled` with the transaction that spent the authorization, when that
   * transaction moved exactly this payment; to `failed` when the payer spent or cancelled the nonce otherwise.
   */
  const recordSpent = async (entry: LedgerEntry, spent: SpentNonce): Promise<Outcome> => {
    const { done, entry: after } = await recordSpentNonce(store, entry, spent, { now: now() })
    if (!done) return 'pending'
    if (after.state === 'settled') onSettled?.(after)
    return after.state === 'settled' ? 'settled' : 'failed'
  }

  /**
   * Makes the move {@link judgeSettlement} decided for a row (`submitted`, or `preconfirmed` for a
   * sealed block's receipt). `preconfirmed` (a `submitted` row whose receipt is not sealed yet): the row
   * records the preconfirmation, and a later pass confirms it.
   */
  const record = async (
    entry: LedgerEntry,
    judged: JudgeSettlementReturnType,
    preconfirmed = false,
  ): Promise<Outcome> => {
    const from = entry.state === 'preconfirmed' ? 'preconfirmed' : 'submitted'
    switch (judged.verdict) {
      case 'settled': {
        const at = { now: now() }
        const move =
          from === 'preconfirmed'
            ? confirmSealed(store, entry.id, judged, at)
            : recordSettled(store, entry.id, { ...judged, preconfirmed }, at)
        if (!(await moved(move))) return 'pending'
        return preconfirmed ? 'pending' : 'settled'
      }
      case 'failed':
        return (await moved(recordFailed(store, entry.id, from, judged.failure, { now: now() }))) ? 'failed' : 'pending'
      case 'spent':
        return recordSpent(entry, judged.spent)
      case 'pending':
      case 'read':
        return 'pending'
    }
  }

  /** The authorization is spent (read at `latest`): the judgement of the transaction that spent it, or of its cancel. */
  const markSpent = async (client: Client, entry: LedgerEntry, latest: bigint): Promise<Outcome> => {
    const authorization = await authorizationOnChain(client, entry, {
      latest,
      lookbackBlocks: logLookbackBlocks,
      spent: true,
    })
    return record(entry, judgeSettlement({ payment: entry, authorization }))
  }

  /** Nothing of this row can land any more: back to `reserved`, or `expired` past `validBefore`. */
  const giveBack = async (entry: LedgerEntry, from: 'submitted' | 'settling' | 'preconfirmed'): Promise<Outcome> => {
    const expired = entry.validBefore <= now()
    if (from !== 'settling' && expired) {
      return (await moved(expire(store, entry.id, from, { now: now() }))) ? 'expired' : 'pending'
    }
    // `reservedUntil` cleared too: a row given back after `/settle` was asked stays recognisable (below).
    if (!(await moved(giveBackRow(store, entry.id, [from], { now: now() })))) return 'pending'
    if (!expired) {
      if (from !== 'settling' && entry.transaction) onRequeued?.(entry, entry.transaction)
      else if (entry.signature) onRequeued?.(entry, undefined)
      return 'requeued'
    }
    return (await moved(expire(store, entry.id, 'reserved', { now: now() }))) ? 'expired' : 'requeued'
  }

  /**
   * Our transaction's receipt: the judgement shared with `/settle` decides, the chain read when the
   * receipt alone does not. A receipt whose block is not sealed (a preconfirmation) moves a
   * `submitted` row to `preconfirmed` at most, and leaves a `preconfirmed` one for a later pass.
   */
  const fromReceipt = async (client: Client, entry: LedgerEntry, receipt: TransactionReceipt): Promise<Outcome> => {
    const sealed = await isSealed(client, receipt)
    if (!sealed && entry.state === 'preconfirmed') return 'pending'
    const mined = {
      hash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      success: receipt.status === 'success',
      logs: receipt.logs,
    }
    // Read only when the receipt does not decide, at one block (the latest): a replacement may have spent it.
    const judged = await judgeSettlementOnChain(
      client,
      { payment: entry, receipt: mined },
      { lookbackBlocks: logLookbackBlocks },
    )
    // Only a sealed block's receipt fails a payment: a preconfirmation's revert may not be the last word.
    if (!sealed && judged.verdict !== 'settled') return 'pending'
    return record(entry, judged, !sealed)
  }

  const blockNumberOf = async (client: Client) => getBlockNumber(client, { cacheTime: 0 })

  /** Sends a signed transaction again: true when the node took it or knew it; throws on a network fault. */
  const rebroadcast = async (client: Client, raw: Hex) => {
    const sent = await sendOnce(client, raw)
    if (sent.kind === 'network') throw sent.error // next run
    return sent.kind === 'sent' // refused (nonce used, underpriced, unfunded): nothing of it can land as signed
  }

  const reconcileSubmitted = async (client: Client, entry: LedgerEntry): Promise<Outcome> => {
    if (entry.transaction) {
      const receipt = await receiptOf(client, entry.transaction)
      if (receipt) return fromReceipt(client, entry, receipt)
    }
    // Both reads at one block: a nonce consumed there without the authorization spent is final.
    const latest = await blockNumberOf(client)
    const [spent, mined] = await Promise.all([
      authorizationState(client, entry, latest),
      entry.signer
        ? getTransactionCount(client, { address: entry.signer, blockNumber: latest }).then(BigInt)
        : Promise.resolve(undefined),
    ])
    if (spent) return markSpent(client, entry, latest)
    if (entry.signerNonce === undefined || mined === undefined || mined <= entry.signerNonce) {
      // Recorded but never broadcast (the node was killed in between): the node does not know the
      // transaction and nobody re-sends it, so its nonce may never be used. Stale and unknown: give it back.
      if (entry.updatedAt + staleSeconds > now()) return 'pending'
      if (entry.transaction && (await isKnownTransaction(client, entry.transaction))) return 'pending'
      // Journaled: send the signed transaction again (no key needed), so its nonce is used as signed
      // rather than left a hole every later transaction of the signer waits behind.
      const stored = entry.transaction ? await store.getTransaction(entry.transaction) : undefined
      if (stored && (await rebroadcast(client, stored.raw))) return 'rebroadcast'
      return giveBack(entry, 'submitted')
    }
    // The nonce is used; if by our recorded transaction (mined since the first read), its receipt decides.
    if (entry.transaction) {
      const receipt = await receiptOf(client, entry.transaction)
      if (receipt) return fromReceipt(client, entry, receipt)
    }
    return giveBack(entry, 'submitted')
  }

  /**
   * A payment answered on a preconfirmation: its receipt in a sealed block confirms it (or, reverted
   * there, fails it). Without a receipt: the authorization spent elsewhere decides; a transaction the
   * node no longer knows (a dropped preconfirmation) is sent again from the journal as it was signed;
   * one that can no longer land as signed gives the payment back to be settled again.
   */
  const reconcilePreconfirmed = async (client: Client, entry: LedgerEntry): Promise<Outcome> => {
    if (entry.transaction) {
      const receipt = await receiptOf(client, entry.transaction)
      if (receipt) return fromReceipt(client, entry, receipt)
    }
    const latest = await blockNumberOf(client)
    if (await authorizationState(client, entry, latest)) return markSpent(client, entry, latest)
    if (entry.transaction && (await isKnownTransaction(client, entry.transaction))) return 'pending'
    const stored = entry.transaction ? await store.getTransaction(entry.transaction) : undefined
    if (stored && (await rebroadcast(client, stored.raw))) return 'rebroadcast'
    return giveBack(entry, 'preconfirmed')
  }

  const reconcileSettling = async (client: Client, entry: LedgerEntry): Promise<Outcome> => {
    const at = now()
    const abandoned = entry.claimedUntil === undefined ? entry.updatedAt + staleSeconds <= at : entry.claimedUntil <= at
    if (!abandoned) return 'pending'
    const latest = await blockNumberOf(client)
    if (await authorizationState(client, entry, latest)) return markSpent(client, entry, latest)
    return giveBack(entry, 'settling')
  }

  /** Handed over and not taken: past `validBefore`, expired; spent on chain, judged; else left to the signing node. */
  const reconcileRequested = async (client: Client, entry: LedgerEntry): Promise<Outcome> => {
    const latest = await blockNumberOf(client)
    if (await authorizationState(client, entry, latest)) return markSpent(client, entry, latest)
    if (entry.validBefore > now()) return 'pending'
    return (await moved(expire(store, entry.id, 'requested', { now: now() }))) ? 'expired' : 'pending'
  }

  const reconcileReserved = async (client: Client, entry: LedgerEntry): Promise<Outcome> => {
    const at = now()
    const expired = entry.validBefore <= at
    // A row that sat `reserved` for a while (given back after a lost answer, say) may have landed after all.
    if (!expired && entry.updatedAt + staleSeconds > at) return 'pending'
    const latest = await blockNumberOf(client)
    if (await authorizationState(client, entry, latest)) return markSpent(client, entry, latest)
    if (!expired) {
      // Asked to settle (reserved by `/settle` or given back, never a `/verify` lease) and left so:
      // the facilitator finishes it.
      if (entry.reservedUntil === undefined && entry.signature) onRequeued?.(entry, undefined)
      return 'pending'
    }
    return (await moved(expire(store, entry.id, 'reserved', { now: now() }))) ? 'expired' : 'pending'
  }

  const reconcile = async (entry: LedgerEntry): Promise<Outcome> => {
    const client = clients.get(entry.chainId)
    if (!client) return 'pending'
    if (entry.state === 'submitted') return reconcileSubmitted(client, entry)
    if (entry.state === 'preconfirmed') return reconcilePreconfirmed(client, entry)
    if (entry.state === 'settling') return reconcileSettling(client, entry)
    if (entry.state === 'reserved') return reconcileReserved(client, entry)
    if (entry.state === 'requested') return reconcileRequested(client, entry)
    return 'pending'
  }

  const pass = async (): Promise<ReconcileReport> => {
    const report: ReconcileReport = {
      examined: 0,
      settled: 0,
      failed: 0,
      expired: 0,
      requeued: 0,
      rebroadcast: 0,
      pending: 0,
    }
    const submitted = await store.claim({
      states: ['submitted', 'preconfirmed'],
      owner,
      leaseSeconds,
      limit,
      now: now(),
    })
    // `settling` and `reserved` rows are only changed by compare-and-set on conditions a live settler
    // cannot be in (an expired claim, a passed validBefore): listing them is enough, and claiming them
    // would hold up the engine.
    const others = await store.list({ states: ['settling', 'reserved', 'requested'], limit })
    const entries = [...submitted, ...others]
    let next = 0
    const worker = async () => {
      for (let index = next++; index < entries.length; index = next++) {
        const entry = entries[index] as LedgerEntry
        report.examined++
        let outcome: Outcome
        try {
          outcome = await reconcile(entry)
        } catch {
          outcome = 'pending' // the chain could not be asked: next run
        }
        report[outcome]++
      }
    }
    await Promise.all(Array.from({ length: Math.min(8, entries.length) }, worker))
    onReport?.(report)
    return report
  }

  let running: Promise<ReconcileReport> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let started = false

  const run = () => {
    running ??= pass().finally(() => {
      running = undefined
    })
    return running
  }

  const schedule = () => {
    if (!started) return
    timer = setTimeout(() => {
      run().then(
        () => schedule(),
        (error: unknown) => {
          onError(error)
          schedule()
        },
      )
    }, intervalMs)
  }

  return {
    run,
    start() {
      if (started) return
      started = true
      run().then(
        () => schedule(),
        (error: unknown) => {
          onError(error)
          schedule()
        },
      )
    },
    async stop() {
      started = false
      if (timer) clearTimeout(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
  }
}
