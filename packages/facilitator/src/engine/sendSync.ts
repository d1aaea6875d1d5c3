import type { Client, Hex, RpcTransactionReceipt } from 'viem'
import { formatTransactionReceipt } from 'viem'
import { type BroadcastOutcome, broadcast } from './broadcast.ts'
import type { SettlementReceipt } from './createReceiptWatcher.ts'
import { isMethodNotServed, probeSendSync, rpcErrorCode, type SendSyncSupport } from './probeSendSync.ts'

/** Whether settlements are sent with `eth_sendRawTransactionSync` (EIP-7966). */
export type SendSyncMode = 'auto' | 'on' | 'off'

export type SendSyncOptions = {
  /**
   * `auto`: when the node serves the method (asked once, see {@link probeSendSync}); `on`: always
   * (a node that answers "method not found" still falls back); `off`: `eth_sendRawTransaction` and
   * receipt polls only. Default `off`.
   */
  mode?: SendSyncMode
  /** The node's wait for the receipt (the method's timeout parameter), in ms. Default `2_000`. */
  timeoutMs?: number
  /**
   * A receipt the sync call has not brought after this many ms is also polled for (every
   * `pollIntervalMs`): a node can miss a receipt published before it subscribed, and then holds the
   * call until its timeout. Default `500`.
   */
  pollAfterMs?: number
  /**
   * The client the sync call goes through. It must not batch JSON-RPC calls: a batch is answered
   * when its slowest call is, and this one waits for a block. Default: the settler's client.
   */
  client?: Client
}

/**
 * The signer's receipt poll (one poller for all its transactions, gated by its mined count), ended
 * when `until` settles.
 */
export type WatchReceipt = (parameters: {
  hash: Hex
  nonce: bigint
  timeoutMs: number
  until: Promise<unknown>
}) => Promise<SettlementReceipt | undefined>

/** What a send did, and the receipt when the send brought one. */
export type SyncSendOutcome = BroadcastOutcome & { receipt?: SettlementReceipt }

/** Sends signed transactions, with EIP-7966 when it may; see {@link createSyncSender}. */
export type SyncSender = {
  /** Sends a signed transaction once (re-sending after faults, as {@link broadcast}); never throws. */
  send(serialized: Hex, hash: Hex, nonce: bigint): Promise<SyncSendOutcome>
  /** The receipt a sync send brought for `hash`, once: a wait for it needs no poll. */
  take(hash: Hex): SettlementReceipt | undefined
}

/** Receipts brought by sync sends and not yet taken, kept at most (the oldest dropped first). */
const heldAtMost = 4_096
/** Past the node's own timeout, how long the call may still take to answer (transport, a busy node). */
const graceMs = 500
const invalidParams = -32602

const probes = new WeakMap<Client, Promise<SendSyncSupport>>()

/** One probe per client, repeated only after an `unknown` answer. */
function supportOf(client: Client): Promise<SendSyncSupport> {
  let probe = probes.get(client)
  if (!probe) {
    probe = probeSendSync(client).then((support) => {
      if (support === 'unknown') probes.delete(client)
      return support
    })
    probes.set(client, probe)
  }
  return probe
}

const asSettlementReceipt = (rpc: RpcTransactionReceipt): SettlementReceipt => {
  const { transactionHash, status, blockNumber, blockHash, logs } = formatTransactionReceipt(rpc)
  return { transactionHash, status, blockNumber, blockHash, logs }
}

/**
 * Sends settlement transactions with `eth_sendRawTransactionSync` (EIP-7966) when the node serves
 * it: the node answers with the receipt as soon as it has one (on Base, the Flashblock
 * preconfirmation; on anvil, the next block), so the payment is judged without a single poll.
 * Bounded: a receipt not answered within `pollAfterMs` is also polled for, and a call not answered
 * by the node's timeout falls back to an ordinary send of the same bytes (same hash: "already
 * known" is sent), so the transaction is known to the node and tracked like any broadcast; the
 * receipt wait then polls. Any error of the sync call is classified by re-sending the same bytes
 * with {@link broadcast}. The caller journals the transaction before calling `send`, as always.
 *
 * @example
 * import { createSyncSender } from './sendSync.ts'
 * const sender = createSyncSender(client, { mode: 'auto' })
 * const sent = await sender.send(signed.serialized, signed.hash) // sent.receipt: settled at once
 * @see https://eips.ethereum.org/EIPS/eip-7966
 */
export function createSyncSender(
  client: Client,
  { mode = 'off', timeoutMs = 2_000, pollAfterMs = 500, client: syncClient = client }: SendSyncOptions = {},
  watch?: WatchReceipt,
): SyncSender {
  const held = new Map<Hex, SettlementReceipt>()
  let unsupported = mode === 'off'
  let supported = mode === 'on'
  if (mode === 'auto') {
    void supportOf(syncClient).then((support) => {
      if (support === 'unsupported') unsupported = true
      if (support === 'supported') supported = true
    })
  }

  const hold = (receipt: SettlementReceipt) => {
    held.set(receipt.transactionHash, receipt)
    if (held.size > heldAtMost) held.delete(held.keys().next().value as Hex)
  }

  // Nodes differ on the timeout parameter (anvil 1.7 takes none): refused as invalid params, the
  // call is made again without it (nothing was sent), and the deadline below bounds the wait alone.
  let withTimeout = true
  const call = async (serialized: Hex): Promise<unknown> => {
    const request = (params: unknown[]) =>
      syncClient.request(
        { method: 'eth_sendRawTransactionSync' as 'eth_sendRawTransaction', params: params as [Hex] },
        { retryCount: 0 },
      )
    if (!withTimeout) return request([serialized])
    try {
      return await request([serialized, timeoutMs])
    } catch (error) {
      if (rpcErrorCode(error) !== invalidParams) throw error
      withTimeout = false
      return request([serialized])
    }
  }

  type Answer =
    | { kind: 'receipt'; receipt: SettlementReceipt }
    | { kind: 'error'; error: unknown }
    | { kind: 'deadline' }

  /** The sync call, answered by the node, by the signer's poll (after `pollAfterMs`), or by the deadline. */
  const sendSync = (serialized: Hex, hash: Hex, nonce: bigint) =>
    new Promise<Answer>((resolve) => {
      const deadlineMs = timeoutMs + graceMs
      let ended: () => void = () => undefined
      const until = new Promise<void>((end) => {
        ended = end
      })
      const timers: ReturnType<typeof setTimeout>[] = []
      let done = false
      const finish = (answer: Answer) => {
        if (done) return
        done = true
        for (const timer of timers) clearTimeout(timer)
        ended()
        resolve(answer)
      }
      call(serialized).then(
        (rpc) => finish({ kind: 'receipt', receipt: asSettlementReceipt(rpc as RpcTransactionReceipt) }),
        (error: unknown) => finish({ kind: 'error', error }),
      )
      if (watch && pollAfterMs < deadlineMs) {
        const poll = () =>
          void watch({ hash, nonce, timeoutMs: deadlineMs - pollAfterMs, until }).then((receipt) => {
            if (receipt) finish({ kind: 'receipt', receipt })
          })
        timers.push(setTimeout(poll, pollAfterMs))
      }
      timers.push(setTimeout(() => finish({ kind: 'deadline' }), deadlineMs))
    })

  return {
    take(hash) {
      const receipt = held.get(hash)
      held.delete(hash)
      return receipt
    },
    async send(serialized, hash, nonce) {
      if (mode === 'auto' && !supported && !unsupported) {
        const support = await supportOf(syncClient)
        if (support === 'unsupported') unsupported = true
        if (support === 'supported') supported = true
      }
      if (!supported || unsupported) return broadcast(client, serialized, hash)
      const answer = await sendSync(serialized, hash, nonce)
      if (answer.kind === 'receipt') {
        hold(answer.receipt)
        return { kind: 'sent', receipt: answer.receipt }
      }
      // EIP-7966's timeout: the node holds the transaction, without a receipt yet.
      if (answer.kind === 'error' && rpcErrorCode(answer.error) === 4) return { kind: 'sent' }
      if (answer.kind === 'error' && isMethodNotServed(answer.error)) unsupported = true
      // Not answered in time (the node may or may not hold it), or refused: the same bytes once more
      // through the ordinary send, which classifies the node's answer ("already known" is sent).
      return broadcast(client, serialized, hash)
    },
  }
}
