import type { Client, Hex } from 'viem'
import { sendRawTransaction } from 'viem/actions'
import { isKnownTransaction } from './chainReads.ts'
import { describeRpcError } from './describeRpcError.ts'

/** What one `eth_sendRawTransaction` did: the one place a node's answer to a send is classified. */
export type SendAttempt =
  /** The node took it, or already held it. */
  | { kind: 'sent' }
  /** A transport fault: the node may or may not have taken it. */
  | { kind: 'network'; message: string; error: unknown }
  /** The node's nonce is past the transaction's. */
  | { kind: 'nonce-too-low'; message: string }
  /** Refused (underpriced, unfunded, invalid): nothing of it can land as signed. */
  | { kind: 'rejected'; message: string }

/** The node's answer to a transaction it already holds. */
const alreadyKnown = /already known|known transaction|already imported|already exists/i
const nonceTooLow = /nonce too low|nonce is too low|oldnonce/i

/** Sends a signed transaction once and classifies the answer; never throws. */
export async function sendOnce(client: Client, serialized: Hex): Promise<SendAttempt> {
  try {
    await sendRawTransaction(client, { serializedTransaction: serialized })
    return { kind: 'sent' }
  } catch (error) {
    const { message, network } = describeRpcError(error)
    if (alreadyKnown.test(message)) return { kind: 'sent' }
    if (nonceTooLow.test(message)) return { kind: 'nonce-too-low', message }
    return network ? { kind: 'network', message, error } : { kind: 'rejected', message }
  }
}

/** The outcome of {@link broadcast}. */
export type BroadcastOutcome =
  | { kind: 'sent' }
  /** Possibly broadcast (network faults, or a retry that met its own nonce used): the receipt wait decides. */
  | { kind: 'uncertain'; message: string }
  /** The nonce went to another transaction: sign again at a fresh one. */
  | { kind: 'nonce-too-low'; message: string }
  | { kind: 'rejected'; message: string }

/**
 * Sends a signed transaction, re-sending the same bytes (same hash) up to twice more after network
 * faults. "Nonce too low" counts as sent when the node knows the hash; after a retry, or when the
 * lookup fails, it is uncertain: a second transaction is never signed for a payment that may be mined.
 */
export async function broadcast(client: Client, serialized: Hex, hash: Hex): Promise<BroadcastOutcome> {
  for (let attempt = 0; ; attempt++) {
    const sent = await sendOnce(client, serialized)
    if (sent.kind === 'sent' || sent.kind === 'rejected') return sent
    if (sent.kind === 'nonce-too-low') {
      const known = await isKnownTransaction(client, hash).catch(() => undefined)
      if (known) return { kind: 'sent' }
      if (attempt > 0 || known === undefined) return { kind: 'uncertain', message: sent.message }
      return sent
    }
    if (attempt >= 2) return { kind: 'uncertain', message: sent.message }
    await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt))
  }
}
