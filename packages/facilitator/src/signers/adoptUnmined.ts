import type { Address } from 'viem'
import type { AdoptedTransaction, SignedSettlement } from '../engine/settlerTypes.ts'
import { recordSubmission } from '../store/ledger.ts'
import type { LedgerEntry, LedgerStore } from '../store/ledgerStore.ts'
import type { TransactionStore } from '../store/transactionStore.ts'
import type { SignerPool } from './createSignerPool.ts'

export type AdoptUnminedParameters = {
  /** The ledger's `submitted` rows and the journal's transactions. */
  store: LedgerStore & TransactionStore
  chainId: number
  settler: SignerPool
  /** Only these signers' transactions (the leased ones, or a lease just taken). Default: every signer of the pool. */
  signers?: readonly Address[]
  /** Seconds since the epoch, for `updatedAt`. */
  now: () => bigint
  /** Ledger rows read at most. Default `10_000`. */
  limit?: number
}

/**
 * Hands a signer pool the transactions its signers left unmined, as the ledger knows them
 * (`submitted` rows and their journaled raw transactions): after a restart, or when a signer's
 * lease is taken from a dead node, they are sent again and replaced when stuck, instead of leaving
 * a hole every later nonce waits behind. A replacement is recorded on every payment at its nonce
 * (a batch). Answers how many transactions were handed over.
 *
 * @example
 * import { adoptUnmined } from './adoptUnmined.ts'
 * await adoptUnmined({ store, chainId: 8453, settler: pool, now })
 * @see architecture.md (The ledger); chain.md §6
 */
export async function adoptUnmined({
  store,
  chainId,
  settler,
  signers = settler.addresses,
  now,
  limit = 10_000,
}: AdoptUnminedParameters): Promise<number> {
  const ours = new Set(signers.map((address) => address.toLowerCase()))
  const rows = await store.list({ states: ['submitted'], limit })
  const byNonce = new Map<string, LedgerEntry[]>()
  for (const row of rows) {
    if (row.chainId !== chainId || !row.signer || row.signerNonce === undefined || !row.transaction) continue
    if (!ours.has(row.signer.toLowerCase())) continue
    const key = `${row.signer.toLowerCase()}/${row.signerNonce}`
    byNonce.set(key, [...(byNonce.get(key) ?? []), row])
  }
  const adopted: AdoptedTransaction[] = []
  for (const group of byNonce.values()) {
    const record = async ({ hash, nonce, signer }: SignedSettlement) => {
      const outcomes = await Promise.all(
        group.map((row) =>
          recordSubmission(
            store,
            row.id,
            { transaction: hash, signerNonce: nonce, signer },
            { now: now(), replacing: true },
          ),
        ),
      )
      if (!outcomes.some((outcome) => outcome.ok)) throw new Error('no payment left at this nonce')
    }
    const hashes = new Set(group.map((row) => (row.transaction as string).toLowerCase()))
    for (const hash of hashes) {
      const stored = await store.getTransaction(hash as `0x${string}`)
      if (stored) adopted.push({ signer: stored.signer, raw: stored.raw, record })
    }
  }
  settler.adopt(adopted)
  return adopted.length
}
