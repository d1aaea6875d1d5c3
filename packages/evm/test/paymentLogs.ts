/**
 * One payment's terms and the logs and calls a transaction may carry for it, for the unit tests of the evidence
 * (`movesPayment`) and of the facilitator's judgement of a settlement (`judgeSettlement`).
 */

import { type Address, type Hex, pad, toEventSelector, toHex } from 'viem'
import { transferWithAuthorizationData } from '../src/encoding/transferWithAuthorizationData.ts'
import type { RawLog } from '../src/evidence/hasTransferLog.ts'
import type { PaymentTerms } from '../src/evidence/movesPayment.ts'

export const asset: Address = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913'
export const payer: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
export const payTo: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
export const other: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
export const nonce = (n: number): Hex => toHex(n, { size: 32 })

export const payment: PaymentTerms = {
  asset,
  payer,
  payTo,
  amount: 10_000n,
  nonce: nonce(1),
  validAfter: 0n,
  validBefore: 1_900_000_000n,
}
export const signature = `0x${'11'.repeat(32)}${'22'.repeat(32)}1b` as Hex

/** The EIP-3009 authorization of `terms`. */
export const authorizationOf = (terms: PaymentTerms) => ({
  from: terms.payer,
  to: terms.payTo,
  value: terms.amount,
  validAfter: terms.validAfter,
  validBefore: terms.validBefore,
  nonce: terms.nonce,
})
/** The `transferWithAuthorization` calldata of `terms`. */
export const callOf = (terms: PaymentTerms) => transferWithAuthorizationData(authorizationOf(terms), signature)

/** `AuthorizationUsed(from, nonce(n))`, emitted by `address`. */
export const used = (n: number, from: Address = payer, address: Address = asset): RawLog => ({
  address,
  topics: [toEventSelector('AuthorizationUsed(address,bytes32)'), pad(from.toLowerCase() as Hex), nonce(n)],
  data: '0x',
})
/** `Transfer(from, to, value)`, emitted by `address`. */
export const transfer = (from: Address, to: Address, value: bigint, address: Address = asset): RawLog => ({
  address,
  topics: [
    toEventSelector('Transfer(address,address,uint256)'),
    pad(from.toLowerCase() as Hex),
    pad(to.toLowerCase() as Hex),
  ],
  data: toHex(value, { size: 32 }),
})
