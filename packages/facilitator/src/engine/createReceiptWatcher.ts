import type { Address, Client, Hex, TransactionReceipt } from 'viem'
import { getTransactionCount } from 'viem/actions'
import { receiptOf } from './chainReads.ts'

/**
 * The parts of a transaction receipt settlement needs. `preconfirmed`: the receipt is not (yet) in a
 * sealed block (a Flashblock preconfirmation), so the payment it shows is not final.
 */
export type SettlementReceipt = Pick<TransactionReceipt, 'transactionHash' | 'status' | 'blockNumber' | 'logs'> & {
  blockHash?: Hex
  preconfirmed?: boolean
}

export type WaitForReceiptParameters = {
  hash: Hex
  /** The transaction's nonce: its receipt is only looked for once the signer's mined count passes it. */
  nonce: bigint
  /** Give up (resolve `undefined`) after this many milliseconds. */
  timeoutMs: number
  /**
   * Every hash sent at this nonce so far (replacements), read at each poll: a receipt of any of them
   * resolves the wait. Default: `hash` alone.
   */
  hashes?: () => readonly Hex[]
  /**
   * Poll once this many ms after the wait starts, besides the regular polls (a transaction just
   * sent: its receipt is due within a block, not a polling interval). Default: none.
   */
  soonMs?: number
  /** Stop waiting (resolve `undefined`) when this settles: the receipt came another way. */
  until?: Promise<unknown>
}

/** Waits for the receipts of one signer's transactions with a single poller; see {@link createReceiptWatcher}. */
export type ReceiptWatcher = {
  wait(parameters: WaitForReceiptParameters): Promise<SettlementReceipt | undefined>
  /** Resolves every wait with `undefined` and stops polling. */
  close(): void
}

export type CreateReceiptWatcherOptions = {
  /** The signer whose transactions are watched. */
  address: Address
  /** Milliseconds between polls. Default `250`. */
  pollingIntervalMs?: number
  /**
   * The block tag of the mined-count read that gates receipt requests: `pending` where the node
   * serves preconfirmed state (Base Flashblocks), so a preconfirmed receipt is asked for at once.
   * Default `latest`.
   */
  blockTag?: 'latest' | 'pending'
}

type Waiter = {
  hash: Hex
  hashes: (() => readonly Hex[]) | undefined
  nonce: bigint
  resolve: (receipt: SettlementReceipt | undefined) => void
}

/** Receipt requests in flight at once, per poller. */
const receiptsAtOnce = 64

/**
 * One poller per signer, however many settlements wait: each tick reads the signer's mined
 * transaction count (`eth_getTransactionCount … latest`) and fetches receipts only for the waiting
 * transactions whose nonce is below it. No `waitForTransactionReceipt` per hash (chain.md pitfall 9);
 * idle when nothing waits.
 *
 * @example
 * import { createReceiptWatcher } from './createReceiptWatcher.ts'
 * const receipts = createReceiptWatcher(client, { address: account.address })
 * const receipt = await receipts.wait({ hash, nonce: 7n, timeoutMs: 30_000 }) // undefined: still pending
 * @see chain.md §6 pitfall 9
 */
export function createReceiptWatcher(
  client: Client,
  { address, pollingIntervalMs = 250, blockTag = 'latest' }: CreateReceiptWatcherOptions,
): ReceiptWatcher {
  const waiters = new Set<Waiter>()
  let running = false
  let closed = false
  let wake: (() => void) | undefined
  let soon: ReturnType<typeof setTimeout> | undefined

  /**
   * One extra poll `ms` from now, waking a sleeping poller; coalesced (one pending at a time), so a
   * burst of sends costs one extra poll, not one each.
   */
  const pollSoon = (ms: number) => {
    soon ??= setTimeout(() => {
      soon = undefined
      if (running) wake?.()
      else if (waiters.size > 0 && !closed) void run()
    }, ms)
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined
        resolve()
      }, ms)
      wake = () => {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
    })

  async function tick(): Promise<void> {
    let mined: bigint
    try {
      mined = BigInt(await getTransactionCount(client, { address, blockTag }))
    } catch {
      return // transient: try again next tick
    }
    const due = [...waiters].filter((waiter) => waiter.nonce < mined)
    // A bounded number of receipt requests at a time: a burst of a thousand mined settlements must
    // not flood the node it is waiting on.
    for (let at = 0; at < due.length; at += receiptsAtOnce) {
      await Promise.all(due.slice(at, at + receiptsAtOnce).map(fetchReceipt))
    }
  }

  async function fetchReceipt(waiter: Waiter): Promise<void> {
    if (!waiters.has(waiter)) return // its wait ended meanwhile
    let receipt: TransactionReceipt | undefined
    for (const hash of waiter.hashes?.() ?? [waiter.hash]) {
      try {
        receipt = await receiptOf(client, hash)
      } catch {
        return
      }
      if (receipt) break
    }
    if (!receipt || !waiters.has(waiter)) return
    waiters.delete(waiter)
    const { transactionHash, status, blockNumber, blockHash, logs } = receipt
    waiter.resolve({ transactionHash, status, blockNumber, blockHash, logs })
  }

  async function run(): Promise<void> {
    running = true
    try {
      while (waiters.size > 0 && !closed) {
        await tick()
        if (waiters.size > 0 && !closed) await sleep(pollingIntervalMs)
      }
    } finally {
      running = false
    }
  }

  return {
    wait({ hash, nonce, timeoutMs, hashes, soonMs, until }) {
      if (closed) return Promise.resolve(undefined)
      return new Promise((resolve) => {
        // The deadline holds even while a poll hangs on a slow node.
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          resolve(undefined)
        }, timeoutMs)
        const waiter: Waiter = {
          hash,
          hashes,
          nonce,
          resolve: (receipt) => {
            clearTimeout(timer)
            resolve(receipt)
          },
        }
        waiters.add(waiter)
        // A running poller picks it up on its next tick: waking it per arrival would flood the node.
        if (!running) void run()
        if (soonMs !== undefined) pollSoon(soonMs)
        void until?.finally(() => {
          if (waiters.delete(waiter)) waiter.resolve(undefined)
        })
      })
    },
    close() {
      closed = true
      if (soon !== undefined) clearTimeout(soon)
      soon = undefined
      for (const waiter of waiters) waiter.resolve(undefined)
      waiters.clear()
      wake?.()
    },
  }
}
