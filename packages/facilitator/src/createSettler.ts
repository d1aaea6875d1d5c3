import {
  type ExactAuthorization,
  encodeAggregate3,
  multicall3Address,
  transferWithAuthorizationData,
  type VerifiedSignature,
} from '@tollgate/evm'
import type { ErrorCode } from '@tollgate/protocol'
import type { Address, Client, Hex, LocalAccount } from 'viem'
import { keccak256, parseTransaction } from 'viem'
import { getTransactionCount, sendRawTransaction } from 'viem/actions'
import { isKnownTransaction } from './chainReads.ts'
import { type Clock, systemClock } from './clock.ts'
import { type CreateFeeOracleOptions, createFeeOracle, type FeeOracle, type Fees } from './createFeeOracle.ts'
import { createNonceAllocator, type NonceAllocator } from './createNonceAllocator.ts'
import { createReceiptWatcher, type ReceiptWatcher, type SettlementReceipt } from './createReceiptWatcher.ts'
import { alreadyKnown, describeRpcError } from './describeRpcError.ts'

/** What is recorded before a transaction is broadcast. */
export type SignedSettlement = { hash: Hex; nonce: bigint; signer: Address }

/** A signed transaction as the journal keeps it: `raw` can be broadcast again by anyone. */
export type SignedTransaction = SignedSettlement & { raw: Hex }

/** A transaction an earlier process signed and recorded, taken over after a restart (see {@link Settler.adopt}). */
export type AdoptedTransaction = {
  /** The signer that signed it. */
  signer: Address
  /** The signed transaction, serialized. */
  raw: Hex
  /** Records a replacement's hash for the payments it settles; absent: the transaction is only sent again, never replaced. */
  record?: (settlement: SignedSettlement) => Promise<void>
}

export type SubmitParameters = {
  asset: Address
  authorization: ExactAuthorization
  signature: VerifiedSignature
  /**
   * Called with the signed transaction's hash and nonce before it is broadcast (write the ledger's
   * `submitted` here). If it throws, nothing is broadcast and the nonce is reused. Called again
   * with the new hash before a stuck transaction's replacement (same nonce, higher fee) is sent.
   */
  beforeBroadcast: (settlement: SignedSettlement) => Promise<void>
}

export type SubmitResult =
  /** Broadcast (or, after network errors, possibly broadcast): wait for the receipt. */
  | { ok: true; hash: Hex; nonce: bigint }
  /** Nothing is on chain. `hash` is set when `beforeBroadcast` had already recorded one. */
  | { ok: false; code: ErrorCode; message: string; hash?: Hex }

/** Submits settlements from one signer and waits for their receipts; see {@link createSettler}. */
export type Settler = {
  address: Address
  chainId: number
  submit(parameters: SubmitParameters): Promise<SubmitResult>
  /**
   * Waits for a settlement's receipt, up to `timeoutMs` (then `undefined`). `signer` defaults to this
   * settler's address; another node's signer (a shared ledger) gets a poller of its own.
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

export type SettlementGas = {
  /** `transferWithAuthorization` with an EOA signature. Default `150_000n`. */
  eoa?: bigint
  /** With an ERC-1271 wallet signature. Default `300_000n`. */
  erc1271?: bigint
  /** Multicall3 batch of the ERC-6492 wallet deployment and the transfer. Default `1_500_000n`. */
  erc6492?: bigint
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
}

export type BatchOptions = {
  /** Payments per transaction. `1` turns batching off. */
  maxSize: number
  /** How long the first waiting payment waits for others, in ms. */
  maxWaitMs: number
  /** Called with the number of payments of each settlement transaction about to be built (for metrics). */
  onSend?: (size: number) => void
}

/** Gas a Multicall3 batch adds to its calls' limits. */
const batchOverheadGas = 40_000n

/** Gas limits used when {@link SettlementGas} leaves one out. */
export const defaultSettlementGas = { eoa: 150_000n, erc1271: 300_000n, erc6492: 1_500_000n } as const

/** A transaction sent at one nonce and not yet seen mined: what the keeper sends again or replaces. */
type Sent = {
  nonce: number
  to: Address
  data: Hex
  gas: bigint
  /** Fees of `raw`, the version sent last. */
  fees: Fees
  raw: Hex
  /** Every hash sent at this nonce, oldest first: a receipt of any of them settles the payment. */
  hashes: Hex[]
  /** When `raw` was signed, and when it was last broadcast (ms). */
  signedAt: number
  sentAt: number
  /** Records a replacement for its payments; absent once they moved on (then it is only ever sent again). */
  record: ((settlement: SignedSettlement) => Promise<void>) | undefined
}

type Signed = { serialized: Hex; hash: Hex; fees: Fees }

/** The keeper looks at the lowest this many unmined nonces per round. */
const keptPerRound = 16

/** At least +12.5% (what nodes require of a replacement), rounded up, plus one wei. */
const bump = (value: bigint) => (value * 1125n + 999n) / 1000n + 1n

type SendOutcome =
  | { kind: 'sent' }
  | { kind: 'uncertain'; message: string }
  | { kind: 'nonce-too-low'; message: string }
  | { kind: 'rejected'; message: string }

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
 * import { createSettler } from '@tollgate/facilitator'
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
  }: CreateSettlerOptions,
): Settler {
  const limits = { ...defaultSettlementGas, ...gas }
  const fees: FeeOracle = feeOracle ?? createFeeOracle(client, { ...feeOptions, clock })
  const watchers = new Map<string, ReceiptWatcher>()
  const watcher = (address: Address) => {
    let found = watchers.get(address.toLowerCase())
    if (!found) {
      found = createReceiptWatcher(client, { address, pollingIntervalMs })
      watchers.set(address.toLowerCase(), found)
    }
    return found
  }
  let closed = false

  /** Sent transactions not yet seen mined, by nonce. */
  const sent = new Map<number, Sent>()

  const sign = async (nonce: number, to: Address, data: Hex, gasLimit: bigint, fixed?: Fees) => {
    const current = fixed ?? (await fees())
    let { maxFeePerGas, maxPriorityFeePerGas } = current
    if (feeCap !== undefined && maxFeePerGas > feeCap) maxFeePerGas = feeCap
    if (maxPriorityFeePerGas > maxFeePerGas) maxPriorityFeePerGas = maxFeePerGas
    const serialized = await account.signTransaction({
      type: 'eip1559',
      chainId,
      nonce,
      to,
      data,
      value: 0n,
      gas: gasLimit,
      maxFeePerGas,
      maxPriorityFeePerGas,
    })
    return { serialized, hash: keccak256(serialized), fees: { maxFeePerGas, maxPriorityFeePerGas } }
  }

  const broadcast = async (serialized: Hex, hash: Hex): Promise<SendOutcome> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await sendRawTransaction(client, { serializedTransaction: serialized })
        return { kind: 'sent' }
      } catch (error) {
        const { message, network } = describeRpcError(error)
        if (alreadyKnown.test(message)) return { kind: 'sent' }
        if (/nonce too low|nonce is too low|oldnonce/i.test(message)) {
          const known = await isKnownTransaction(client, hash).catch(() => undefined)
          if (known) return { kind: 'sent' }
          // A retry after a lost answer (our own first send may have been mined), or the lookup failed:
          // never sign a second transaction for this payment; the receipt wait and the reconciler decide.
          if (attempt > 0 || known === undefined) return { kind: 'uncertain', message }
          return { kind: 'nonce-too-low', message }
        }
        if (!network) return { kind: 'rejected', message }
        if (attempt >= 2) return { kind: 'uncertain', message }
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
      }
    }
  }

  const track = (
    nonce: number,
    tx: { to: Address; data: Hex; gas: bigint },
    signed: Signed,
    record: Sent['record'],
  ) => {
    const now = clock()
    sent.set(nonce, {
      nonce,
      ...tx,
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
    const tx = { to: account.address, data: '0x' as Hex, gas: 21_000n }
    try {
      const signed = await sign(nonce, tx.to, tx.data, tx.gas)
      if (canSign() && (await broadcast(signed.serialized, signed.hash)).kind !== 'rejected') {
        nonces.commit(nonce)
        track(nonce, tx, signed, async () => undefined) // a gap filler has no payment to record
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
    const max = (a: bigint, b: bigint) => (a > b ? a : b)
    let maxFeePerGas = max(bump(stuck.fees.maxFeePerGas), current.maxFeePerGas)
    const maxPriorityFeePerGas = max(bump(stuck.fees.maxPriorityFeePerGas), current.maxPriorityFeePerGas)
    if (feeCap !== undefined && maxFeePerGas > feeCap) maxFeePerGas = feeCap
    // A replacement below +12.5% would be refused as underpriced: at the cap, stay pending.
    if (maxFeePerGas < bump(stuck.fees.maxFeePerGas) || maxPriorityFeePerGas > maxFeePerGas) return
    const signed = await sign(stuck.nonce, stuck.to, stuck.data, stuck.gas, { maxFeePerGas, maxPriorityFeePerGas })
    const settlement = { hash: signed.hash, nonce: BigInt(stuck.nonce), signer: account.address }
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
    if (canSign()) await broadcast(signed.serialized, signed.hash)
  }

  /**
   * One keeper round: forgets what is mined, fills holes, and sends the lowest unmined transactions
   * again (or replaces them, once `replaceAfterMs` has passed since they were signed).
   */
  const keepRound = async () => {
    const mined = await getTransactionCount(client, { address: account.address, blockTag: 'latest' })
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
      await broadcast(tx.raw, tx.hashes.at(-1) as Hex)
    }
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

  const nonces: NonceAllocator = createNonceAllocator(client, {
    address: account.address,
    onGap: (nonce) => {
      setTimeout(() => void fillGap(nonce), 0)
    },
  })

  const build = ({ asset, authorization, signature }: SubmitParameters): { to: Address; data: Hex; gas: bigint } => {
    const transfer = transferWithAuthorizationData(authorization, signature.signature)
    if (signature.kind !== 'erc6492') return { to: asset, data: transfer, gas: limits[signature.kind] }
    return {
      to: multicallAddress,
      data: encodeAggregate3([
        { target: signature.factory, allowFailure: true, callData: signature.factoryData },
        { target: asset, allowFailure: false, callData: transfer },
      ]),
      gas: limits.erc6492,
    }
  }

  /** One transaction for `items`: the settlement itself, or a Multicall3 batch with per-call failure allowed. */
  const buildAll = (items: readonly SubmitParameters[]): { to: Address; data: Hex; gas: bigint } => {
    if (items.length === 1) return build(items[0] as SubmitParameters)
    return {
      to: multicallAddress,
      data: encodeAggregate3(
        items.map(({ asset, authorization, signature }) => ({
          target: asset,
          allowFailure: true,
          callData: transferWithAuthorizationData(authorization, signature.signature),
        })),
      ),
      gas: items.reduce((sum, { signature }) => sum + limits[signature.kind], batchOverheadGas),
    }
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
      let tx: { to: Address; data: Hex; gas: bigint }
      for (;;) {
        if (items.length === 0) {
          nonces.release(nonce)
          return answer()
        }
        tx = buildAll(items)
        try {
          signed = await sign(nonce, tx.to, tx.data, tx.gas)
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
      const outcome = await broadcast(signed.serialized, signed.hash)
      if (outcome.kind === 'sent' || outcome.kind === 'uncertain') {
        nonces.commit(nonce)
        const payments = items
        track(nonce, tx, signed, async (settlement) => {
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

  const queue: { parameters: SubmitParameters; resolve: (result: SubmitResult) => void }[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (queue.length > 0) {
      const chunk = queue.splice(0, batch?.maxSize ?? 1)
      void send(chunk.map(({ parameters }) => parameters)).then((results) => {
        chunk.forEach(({ resolve }, i) => {
          resolve(results[i] as SubmitResult)
        })
      })
    }
  }

  return {
    address: account.address,
    chainId,
    submit(parameters) {
      // A smart-wallet payer (ERC-1271 / ERC-6492) runs its own code when mined: it could pass the
      // simulation and then revert or burn the batch's gas, so it is always settled alone.
      if (!batch || batch.maxSize < 2 || parameters.signature.kind !== 'eoa') {
        return send([parameters]).then((results) => results[0] as SubmitResult)
      }
      return new Promise<SubmitResult>((resolve) => {
        queue.push({ parameters, resolve })
        if (queue.length >= batch.maxSize) flush()
        else timer ??= setTimeout(flush, batch.maxWaitMs)
      })
    },
    waitForReceipt({ hash, nonce, signer = account.address, timeoutMs }) {
      if (closed) return Promise.resolve(undefined)
      const own = signer.toLowerCase() === account.address.toLowerCase() ? sent.get(Number(nonce)) : undefined
      // Our own transaction: a receipt of any of its replacements counts.
      const hashes = own?.hashes.includes(hash) ? () => own.hashes : undefined
      return watcher(signer).wait({ hash, nonce, timeoutMs, ...(hashes ? { hashes } : {}) })
    },
    resyncNonces: () => nonces.resync(),
    adopt(transactions) {
      for (const { signer, raw, record } of transactions) {
        if (signer.toLowerCase() !== account.address.toLowerCase()) continue
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
          // Sent at once by the keeper (sentAt 0); replaced once `replaceAfterMs` passes from now.
          const at = { signedAt: clock(), sentAt: 0 }
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
        if (fees.maxFeePerGas > known.fees.maxFeePerGas) Object.assign(known, { fees, raw, sentAt: 0 })
      }
      keep()
    },
    close() {
      closed = true
      wakeKeeper?.()
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      // Nothing queued was recorded or signed yet: the payments stay claimable.
      for (const { resolve } of queue.splice(0)) {
        resolve({ ok: false, code: 'unexpected_settle_error', message: 'The settlement engine is closing.' })
      }
      for (const receipts of watchers.values()) receipts.close()
      watchers.clear()
    },
  }
}
