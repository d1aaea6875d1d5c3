import type { ErrorCode, EvmNetwork } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import type { LedgerEntry, LedgerPatch, LedgerState } from './ledgerStore.ts'

type Integer = string | number | bigint

/**
 * A ledger entry as a SQL row (the `ledger` table of the SQL adapters): snake_case columns, amounts
 * and block numbers as decimal text, seconds as integers or text, absent fields as `null`.
 */
export type LedgerRow = {
  id: string
  state: LedgerState
  network: string
  chain_id: number
  asset: string
  payer: string
  pay_to: string
  amount: string
  nonce: string
  valid_after: Integer
  valid_before: Integer
  payload_hash: string
  x402_version: number
  signature: string | null
  signer: string | null
  signer_nonce: Integer | null
  tx_hash: string | null
  block_number: Integer | null
  error_code: string | null
  error_message: string | null
  reserved_until: Integer | null
  claimed_by: string | null
  claimed_until: Integer | null
  holder: string | null
  delivered_to: string | null
  payment_key: string | null
  /** Optimistic delivery (1 or true); absent before the migration that adds it. */
  optimistic?: number | bigint | boolean | null
  created_at: Integer
  updated_at: Integer
}

/** The column each {@link LedgerPatch} key writes. */
export const ledgerPatchColumns = {
  signer: 'signer',
  signerNonce: 'signer_nonce',
  transaction: 'tx_hash',
  blockNumber: 'block_number',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  reservedUntil: 'reserved_until',
  claimedBy: 'claimed_by',
  claimedUntil: 'claimed_until',
} as const satisfies Record<keyof LedgerPatch, string>

/** Reads a {@link LedgerRow} back into a {@link LedgerEntry}, without precision loss. */
export function toLedgerEntry(row: LedgerRow): LedgerEntry {
  const entry: LedgerEntry = {
    id: row.id,
    state: row.state,
    network: row.network as EvmNetwork,
    chainId: row.chain_id,
    asset: row.asset as Address,
    payer: row.payer as Address,
    payTo: row.pay_to as Address,
    amount: BigInt(row.amount),
    nonce: row.nonce as Hex,
    validAfter: BigInt(row.valid_after),
    validBefore: BigInt(row.valid_before),
    payloadHash: row.payload_hash as Hex,
    x402Version: row.x402_version === 1 ? 1 : 2,
    createdAt: BigInt(row.created_at),
    updatedAt: BigInt(row.updated_at),
  }
  if (row.signature !== null && row.signature !== undefined) entry.signature = row.signature as Hex
  if (row.signer !== null) entry.signer = row.signer as Address
  if (row.signer_nonce !== null) entry.signerNonce = BigInt(row.signer_nonce)
  if (row.tx_hash !== null) entry.transaction = row.tx_hash as Hex
  if (row.block_number !== null) entry.blockNumber = BigInt(row.block_number)
  if (row.error_code !== null) entry.errorCode = row.error_code as ErrorCode
  if (row.error_message !== null) entry.errorMessage = row.error_message
  if (row.reserved_until !== null) entry.reservedUntil = BigInt(row.reserved_until)
  if (row.claimed_by !== null) entry.claimedBy = row.claimed_by
  if (row.claimed_until !== null) entry.claimedUntil = BigInt(row.claimed_until)
  if (row.holder !== null) entry.holder = row.holder as Hex
  if (row.delivered_to !== null) entry.deliveredTo = row.delivered_to as Hex
  if (row.payment_key !== null) entry.paymentKey = row.payment_key as Hex
  if (row.optimistic === true || row.optimistic === 1 || row.optimistic === 1n) entry.optimistic = true
  return entry
}
