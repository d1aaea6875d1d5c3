import { multicall3Address } from '@tollgate/evm'
import { type Clock, systemClock } from '@tollgate/protocol'
import type { Address, Client, Hex, LocalAccount } from 'viem'
import { broadcast } from './broadcast.ts'
import { isSealed } from './chainReads.ts'
import { type BatchOptions, type BatchQueue, createBatchQueue } from './createBatchQueue.ts'
import { type CreateFeeOracleOptions, createFeeOracle, type FeeOracle } from './createFeeOracle.ts'
import { createKeeper } from './createKeeper.ts'
import { createNonceAllocator, type NonceAllocator } from './createNonceAllocator.ts'
import { createReceiptWatcher, type ReceiptWatcher, type SettlementReceipt } from './createReceiptWatcher.ts'
import { describeRpcError } from './describeRpcError.ts'
import { createSyncSender, type SendSyncOptions } from './sendSync.ts'
import { defaultSettlementGas, type SettlementGas, settlementCall } from './settlementCall.ts'
import type { AdoptedTransaction, SignedTransaction, SubmitParameters, SubmitResult } from './settlerTypes.ts'
import { createTransactionSigner, type Signed, type TransactionCall } from './signTransaction.ts'

/** With `sendSync` on or auto, a receipt wait for a transaction just sent polls this soon first. */
const firstPollMs = 100

/** Submits settlements from one signer and waits for their receipts; see {@link createSettler}. */
export type Settler = {
  address: Address
  chainId: number
  submit(parameters: SubmitParameters): Promise<SubmitResult>
  /**
   * Waits for a settlement's receipt, up to `timeoutMs` (then `undefined`). `signer` defaults to this
   * settler's address; another node's signer (a shared ledger) gets a poller of its own. A receipt
   * that may be a preconfirmation (brought by `eth_sendRawTransactionSync`, or read with the
   * `pending` tag) and whose block is not sealed is answered with `preconfirmed: true`.
   */
  waitForReceipt(parameters: {
    hash: Hex
    nonce: bigint
    signer?: Address
    timeoutMs: number
  }): Promise<SettlementReceipt | undefined>
  /** Re-reads the signer's pending nonce from the chain (after the key was used elsewhere). */
  resyncNonces(): Promise<void>
  /**
   * Takes over this signer's unmined transactions recorded by an earlier process (a restart, or a
   * signer lease taken from a dead node): they are broadcast again and, when stuck, replaced, like
   * this process's own. Transactions of other signers or chains are ignored.
   */
  adopt(transactions: readonly AdoptedTransaction[]): void
  /** Stops the receipt pollers and the keeper (pending waits resolve `undefined`). */
  close(): void
}

export type CreateSettlerOptions = {
  /** The settlement signer (pays gas). Its key never leaves viem's `LocalAccount`. */
  account: LocalAccount
  chainId: number
  gas?: SettlementGas
  fees?: CreateFeeOracleOptions
  /** A fee oracle shared with other settlers on the chain (a signer pool); overrides `fees`. */
  feeOracle?: FeeOracle
  /** Milliseconds between receipt polls. Default `250`. */
  pollingIntervalMs?: number
  /**
   * A transaction not mined this many ms after it was signed is replaced at the same nonce with fees
   * raised by at least 12.5% (and to the current fees if higher), never above `maxFeePerGas`: for
   * a base fee that rose past it, and for a node that holds it but will not mine it. Default
   * `15_000`; `Infinity`: never (only sent again, see `rebroadcastAfterMs`).
   */
  replaceAfterMs?: number
  /**
   * A transaction not mined this many ms after it was last sent is sent again as it is (same hash):
   * a node that lost it (a dropped send, a restarted node) learns it again, so later nonces do not
   * wait behind a hole. Default `3_000`.
   */
  rebroadcastAfterMs?: number
  /**
   * Keeps each signed transaction before it is broadcast (the Store's `saveTransaction`), so that a
   * restarted process can send it again or replace it. If it throws, nothing is broadcast.
   */
  journal?: (transaction: SignedTransaction) => Promise<void>
  /** No transaction (first or replacement) offers more than this `maxFeePerGas`, in wei. Default: `fees.maxFeePerGas`. */
  maxFeePerGas?: bigint
  /**
   * Settle waiting payments together: up to `maxSize` per Multicall3 `aggregate3` transaction
   * (each call may fail alone), collected for at most `maxWaitMs`. Default: off (one transaction
   * per payment, no added latency). Smart-wallet settlements (ERC-1271, ERC-6492) are never batched:
   * their code runs when mined, and could burn the gas of every payment in the batch.
   */
  batch?: BatchOptions
  /** Default {@link multicall3Address}. */
  multicallAddress?: Address
  /**
   * Whether this process may sign with the key now (its signer lease is held and valid). Checked
   * before a nonce is taken and again just before each newly signed transaction (a payment, a
   * replacement, a gap filler) is broadcast; `false`: nothing new is signed or sent, only
   * transactions already sent may be sent again as they are. Default: always.
   */
  canSign?: () => boolean
  /** For re-send and replacement ages. Default: the system's monotonic clock. */
  clock?: Clock
  /**
   * Send with `eth_sendRawTransactionSync` (EIP-7966), which answers with the receipt (see
   * {@link createSyncSender}); when it is not used, the receipt of a transaction just sent is also
   * polled for `sendSync.pollAfterMs` after the wait starts. Default: off.
   */
  sendSync?: SendSyncOptions
  /** `pending` where the node serves preconfirmed state (Base Flashblocks); see {@link createReceiptWatcher}. Default `latest`. */
  receiptBlockTag?: 'latest' | 'pending'
}

/**
 * The settlement engine for one signer on one chain: builds `transferWithAuthorization` (the `v,r,s`
 * overload for 65-byte signatures, the `bytes` overload otherwise; an undeployed ERC-6492 wallet is
 * deployed first, atomically, in a Multicall3 batch), signs it locally with our own nonce allocation
 * and explicit gas, fees and chain id (so viem never fills, estimates or guesses a nonce), lets the
 * caller record it, broadcasts the raw transaction, and waits for receipts with one poller.
 *
 * - A send that fails before broadcast gives its nonce back; if a later nonce was already sent, the
 *   hole is filled at once with a 0-value self-transfer, so nothing strands behind it.
 * - "Nonce too low" (the key was used elsewhere) re-reads the chain and retries once.
 * - Network errors re-send the same raw transaction (same hash) a few times, then count it as
 *   possibly broadcast: the receipt wait decides.
 * - A keeper runs while anything is unmined: it sends the lowest unmined transactions again after
 *   `rebroadcastAfterMs` (a node that lost one learns it again), replaces them at higher fees after
 *   `replaceAfterMs`, and fills holes until they are filled.
 *
 * @example
 * import { createSettler } from './createSettler.ts'
 * const settler = createSettler(client, { account, chainId: 8453 })
 * const sent = await settler.submit({ asset, authorization, signature, beforeBroadcast: recordSubmitted })
 * if (sent.ok) await settler.waitForReceipt({ hash: sent.hash, nonce: sent.nonce, timeoutMs: 30_000 })
 * @see x402-protocol reference §4.3; chain.md §6 pitfalls 4, 5, 9
 */
export function createSettler(
  client: Client,
  {
    account,
    chainId,
    gas = {},
    fees: feeOptions,
    feeOracle,
    pollingIntervalMs = 250,
    replaceAfterMs = 15_000,
    rebroadcastAfterMs = 3_000,
    journal,
    batch,
    maxFeePerGas: feeCap = feeOptions?.maxFeePerGas,
    multicallAddress = multicall3Address,
    canSign = () => true,
    clock = systemClock,
    sendSync,
    receiptBlockTag,
  }: CreateSettlerOptions,
): Settler {
  const limits = { ...defaultSettlementGas, ...gas }
  const fees: FeeOracle = feeOracle ?? createFeeOracle(client, { ...feeOptions, clock })
  const sign = createTransactionSigner({ account, chainId, fees, feeCap })
  const nonces: NonceAllocator = createNonceAllocator(client, {
    address: account.address,
    onGap: (nonce) => {
      setTimeout(() => void keeper.fillGap(nonce), 0)
    },
  })
  const keeper = createKeeper(
    { client, signer: account.address, chainId, nonces, sign, fees, clock, canSign, journal },
    { feeCap, replaceAfterMs, rebroadcastAfterMs },
  )
  const soonMs = sendSync?.mode && sendSync.mode !== 'off' ? firstPollMs : undefined
  const watchers = new Map<string, ReceiptWatcher>()
  const watcher = (address: Address) => {
    let found = watchers.get(address.toLowerCase())
    if (!found) {
      found = createReceiptWatcher(client, {
        address,
        pollingIntervalMs,
        ...(receiptBlockTag ? { blockTag: receiptBlockTag } : {}),
      })
      watchers.set(address.toLowerCase(), found)
    }
    return found
  }
  const sender = createSyncSender(client, sendSync, (parameters) => watcher(account.address).wait(parameters))
  let closed = false

  /** A receipt that may be a preconfirmation, marked when its block is not sealed (or cannot be read now). */
  const sealedOrNot = async (receipt: SettlementReceipt): Promise<SettlementReceipt> => {
    const sealed = await isSealed(client, receipt).catch(() => false)
    return sealed ? receipt : { ...receipt, preconfirmed: true }
  }

  /**
   * Signs one transaction for `all` (one payment or a batch), records it for each payment before
   * broadcast (a payment whose ledger refuses drops out and the rest is signed again at the same
   * nonce), broadcasts, and answers each payment in order.
   */
  const send = async (all: readonly SubmitParameters[]): Promise<SubmitResult[]> => {
    batch?.onSend?.(all.length)
    const results = new Map<SubmitParameters, SubmitResult>()
    const recorded = new Map<SubmitParameters, Hex>()
    let items = [...all]
    const failRest = (message: string) => {
      for (const item of all) {
        if (results.has(item)) continue
        const hash = recorded.get(item)
        results.set(item, { ok: false, code: 'unexpected_settle_error', message, ...(hash ? { hash } : {}) })
      }
    }
    const answer = () => all.map((item) => results.get(item) as SubmitResult)
    for (let attempt = 0; attempt < 2; attempt++) {
      let nonce: number
      if (!canSign()) {
        failRest('This node does not hold the signer lease now; nothing was sent.')
        return answer()
      }
      try {
        await fees() // read fees before taking a nonce, so an RPC fault here costs no nonce
        nonce = await nonces.acquire()
      } catch (error) {
        failRest(describeRpcError(error).message)
        return answer()
      }
      let signed: Signed
      let tx: TransactionCall
      for (;;) {
        if (items.length === 0) {
          nonces.release(nonce)
          return answer()
        }
        tx = settlementCall(items, { gas: limits, multicallAddress })
        try {
          signed = await sign(nonce, tx)
        } catch (error) {
          nonces.release(nonce)
          failRest(describeRpcError(error).message)
          return answer()
        }
        const settlement = { hash: signed.hash, nonce: BigInt(nonce), signer: account.address }
        try {
          await journal?.({ ...settlement, raw: signed.serialized })
        } catch (error) {
          nonces.release(nonce)
          failRest(describeRpcError(error).message)
          return answer()
        }
        const outcomes = await Promise.allSettled(items.map((item) => item.beforeBroadcast(settlement)))
        const refused: SubmitParameters[] = []
        items.forEach((item, i) => {
          const outcome = outcomes[i]
          if (outcome?.status === 'fulfilled') {
            recorded.set(item, signed.hash)
            return
          }
          refused.push(item)
          const hash = recorded.get(item)
          results.set(item, {
            ok: false,
            code: 'unexpected_settle_error',
            message: describeRpcError(outcome?.reason).message,
            ...(hash ? { hash } : {}),
          })
        })
        if (refused.length === 0) break
        items = items.filter((item) => !refused.includes(item))
      }
      if (!canSign()) {
        // The lease lost after the fenced journal write (a pause, a failed heartbeat): a new signature
        // is never broadcast then. It is journaled and recorded, so the lease's new holder adopts it,
        // or the reconciler sends it or gives the payment back: answered as possibly sent, not kept.
        nonces.commit(nonce)
        for (const item of items) results.set(item, { ok: true, hash: signed.hash, nonce: BigInt(nonce) })
        return answer()
      }
      // An optimistic delivery waits for the broadcast only, never for a receipt (no EIP-7966 call).
      const outcome = items.some((item) => item.optimistic)
        ? await broadcast(client, signed.serialized, signed.hash)
        : await sender.send(signed.serialized, signed.hash, BigInt(nonce))
      if (outcome.kind === 'sent' || outcome.kind === 'uncertain') {
        nonces.commit(nonce)
        const payments = items
        keeper.track(nonce, tx, signed, async (settlement) => {
          const outcomes = await Promise.allSettled(payments.map((item) => item.beforeBroadcast(settlement)))
          if (outcomes.every((recorded) => recorded.status === 'rejected')) throw new Error('no payment to replace')
        })
        for (const item of items) results.set(item, { ok: true, hash: signed.hash, nonce: BigInt(nonce) })
        return answer()
      }
      if (outcome.kind === 'nonce-too-low') {
        nonces.commit(nonce) // consumed by someone else
        await nonces.resync().catch(() => undefined)
        continue
      }
      nonces.release(nonce)
      failRest(outcome.message)
      return answer()
    }
    failRest('The signer nonce was taken elsewhere twice; is the key used by another process?')
    return answer()
  }

  const queue: BatchQueue | undefined = batch && batch.maxSize >= 2 ? createBatchQueue(batch, send) : undefined

  return {
    address: account.address,
    chainId,
    submit(parameters) {
      // A smart-wallet payer (ERC-1271 / ERC-6492) runs its own code when mined: it could pass the
      // simulation and then revert or burn the batch's gas, so it is always settled alone.
      if (!queue || parameters.signature.kind !== 'eoa' || (batch?.when === 'needed' && !parameters.batched)) {
        return send([parameters]).then((results) => results[0] as SubmitResult)
      }
      return queue.push(parameters)
    },
    async waitForReceipt({ hash, nonce, signer = account.address, timeoutMs }) {
      if (closed) return undefined
      const sent = sender.take(hash)
      if (sent) return sealedOrNot(sent)
      const own = signer.toLowerCase() === account.address.toLowerCase() ? keeper.hashesAt(Number(nonce)) : undefined
      // Our own transaction: a receipt of any of its replacements counts.
      const hashes = own?.includes(hash) ? () => own : undefined
      const receipt = await watcher(signer).wait({
        hash,
        nonce,
        timeoutMs,
        ...(hashes ? { hashes } : {}),
        // Just sent by us: its receipt is due within a block, sooner than the next regular poll.
        ...(hashes && soonMs !== undefined ? { soonMs } : {}),
      })
      // Gated by the mined count at `latest`, a receipt is sealed; at `pending`, maybe not yet.
      return receipt && receiptBlockTag === 'pending' ? sealedOrNot(receipt) : receipt
    },
    resyncNonces: () => nonces.resync(),
    adopt: (transactions) => keeper.adopt(transactions),
    close() {
      closed = true
      keeper.close()
      queue?.close()
      for (const receipts of watchers.values()) receipts.close()
      watchers.clear()
    },
  }
}
