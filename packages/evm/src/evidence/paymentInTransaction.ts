import { type Address, concat, decodeFunctionData, type Hex, multicall3Abi, numberToHex, parseTransaction } from 'viem'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import { eip3009Abi } from '../encoding/eip3009Abi.ts'
import { tryAggregateAbi } from '../encoding/tryAggregate.ts'
import type { AuthorizationKey } from './authorizationKey.ts'

/** A payment as a settlement transaction carries it: the authorization and the payer's signature. */
export type PaymentInTransaction = { authorization: ExactAuthorization; signature: Hex }

/** Decodes one `transferWithAuthorization` call (either overload) to `asset`. */
function decodeTransfer(data: Hex): PaymentInTransaction | undefined {
  let decoded: ReturnType<typeof decodeFunctionData<typeof eip3009Abi>>
  try {
    decoded = decodeFunctionData({ abi: eip3009Abi, data })
  } catch {
    return undefined
  }
  if (decoded.functionName !== 'transferWithAuthorization') return undefined
  const [from, to, value, validAfter, validBefore, nonce, ...rest] = decoded.args as readonly unknown[]
  const signature =
    rest.length === 3
      ? concat([rest[1] as Hex, rest[2] as Hex, numberToHex(rest[0] as number, { size: 1 })])
      : (rest[0] as Hex)
  return {
    authorization: {
      from: from as ExactAuthorization['from'],
      to: to as ExactAuthorization['to'],
      value: value as bigint,
      validAfter: validAfter as bigint,
      validBefore: validBefore as bigint,
      nonce: nonce as Hex,
    },
    signature,
  }
}

/** One `transferWithAuthorization` call a transaction makes, see {@link transferCallsIn}. */
export type TransferCall = {
  /** The contract called (the asset, if it is a payment). */
  target: Address
  /** The transaction's own call (`to` and `data`), as opposed to one call of a Multicall3 batch. */
  direct: boolean
  /** For a batch call: whether its revert leaves the batch standing (always false for a direct call). */
  allowFailure: boolean
  payment: PaymentInTransaction
}

/**
 * The `transferWithAuthorization` calls a transaction to `to` with calldata `data` makes: the call
 * itself, and each call of an `aggregate3` or `tryAggregate` batch (decoded whatever `to` is: the
 * caller decides whether `to` is Multicall3 and what `allowFailure` means for it).
 */
export function transferCallsIn(to: Address, data: Hex): TransferCall[] {
  const calls: { target: Address; allowFailure: boolean; callData: Hex; direct: boolean }[] = [
    { target: to, allowFailure: false, callData: data, direct: true },
  ]
  try {
    // viem's Multicall3 ABI (the encoder is `encodeAggregate3`): only an `aggregate3` call is a batch.
    const batch = decodeFunctionData({ abi: multicall3Abi, data })
    if (batch.functionName === 'aggregate3') calls.push(...batch.args[0].map((call) => ({ ...call, direct: false })))
  } catch {
    // not an aggregate3 batch
  }
  try {
    // The settler's batches: tryAggregate(false, calls), each call may fail alone.
    const batch = decodeFunctionData({ abi: tryAggregateAbi, data })
    const allowFailure = !batch.args[0]
    calls.push(...batch.args[1].map((call) => ({ ...call, allowFailure, direct: false })))
  } catch {
    // not a tryAggregate batch
  }
  const found: TransferCall[] = []
  for (const { target, allowFailure, callData, direct } of calls) {
    const payment = decodeTransfer(callData)
    if (payment) found.push({ target, direct, allowFailure, payment })
  }
  return found
}

/**
 * Finds one payment in a signed settlement transaction (the journal's raw bytes): a direct
 * `transferWithAuthorization` to the asset, or one call of a Multicall3 batch. Answers `undefined`
 * when the transaction does not carry that authorization.
 *
 * @example
 * import { paymentInTransaction } from '@tollgate/evm'
 * const payment = paymentInTransaction(stored.raw, { asset, payer, nonce })
 */
export function paymentInTransaction(raw: Hex, key: AuthorizationKey): PaymentInTransaction | undefined {
  let tx: ReturnType<typeof parseTransaction>
  try {
    tx = parseTransaction(raw)
  } catch {
    return undefined
  }
  if (!tx.to || !tx.data) return undefined
  const call = transferCallsIn(tx.to, tx.data).find(
    ({ target, payment }) =>
      target.toLowerCase() === key.asset.toLowerCase() &&
      payment.authorization.from.toLowerCase() === key.payer.toLowerCase() &&
      payment.authorization.nonce.toLowerCase() === key.nonce.toLowerCase(),
  )
  return call?.payment
}
