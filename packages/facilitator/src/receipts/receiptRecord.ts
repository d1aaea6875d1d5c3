import type { Hex } from 'viem'

/**
 * What the ledger keeps to issue a payment's receipt (and what it issued): one record per payment,
 * written when `/settle` is asked (so a payment that was pending gets its receipt once it settles),
 * signed once when the payment is settled.
 */
export type ReceiptRecord = {
  /** The receipt id: 22 random base64url characters (128 bits), unguessable; `GET /receipts/:id`. */
  id: string
  /** The ledger entry ({@link LedgerEntry.id}) of the payment. */
  paymentId: string
  /** The paid resource's URL, as the resource server named it. */
  resourceUrl: string
  /** `0x` and the SHA-256 of the response body delivered, when the settling call sent it (set with the signature). */
  responseHash?: Hex
  /** Seconds since the epoch. */
  createdAt: bigint
  /** The compact JWS, once issued (the payment settled). */
  jws?: string
  /** The key that signed it. */
  kid?: string
  /** The receipt's `issuedAt` (seconds), once issued. */
  issuedAt?: bigint
}

/** What {@link Store.putReceipt} writes. */
export type NewReceiptRecord = Omit<ReceiptRecord, 'jws' | 'kid' | 'issuedAt' | 'responseHash'>

/**
 * What {@link Store.signReceipt} writes, once. `responseHash` is the one of the `/settle` call whose
 * answer carried the receipt with the content (absent when the receipt was issued later, for a
 * payment that was pending: its content was served on a retry that settles first).
 */
export type ReceiptSignature = { jws: string; kid: string; issuedAt: bigint; responseHash?: Hex | undefined }

/** A new receipt id: 16 random bytes as base64url (Web Crypto). */
export function newReceiptId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** The shape of a receipt id (what `GET /receipts/:id` accepts). */
export const receiptIdPattern = /^[A-Za-z0-9_-]{22}$/
