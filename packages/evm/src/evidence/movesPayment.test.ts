import { describe, expect, test } from 'vitest'
import {
  asset,
  authorizationOf,
  nonce,
  other,
  payer,
  payment,
  payTo,
  signature,
  transfer,
  used,
} from '../../test/paymentLogs.ts'
import { encodeAggregate3, multicall3Address } from '../encoding/aggregate3.ts'
import { transferWithAuthorizationData } from '../encoding/transferWithAuthorizationData.ts'
import type { RawLog } from './hasTransferLog.ts'
import { type MinedTransaction, movesPayment } from './movesPayment.ts'

const mined = (logs: RawLog[], rest: Partial<MinedTransaction> = {}): MinedTransaction => ({
  success: true,
  logs,
  ...rest,
})

describe('movesPayment', () => {
  test('default: the authorization spent with its own Transfer to payTo for the amount moved the payment', () => {
    expect(movesPayment(mined([used(1), transfer(payer, payTo, 10_000n)]), payment)).toBe(true)
  })

  test('behavior: the same nonce spent by another authorization of the payer did not', () => {
    // B: 1 unit to the payer itself; B': to payTo, one unit short; B'': the full amount elsewhere.
    expect(movesPayment(mined([used(1), transfer(payer, payer, 1n)]), payment)).toBe(false)
    expect(movesPayment(mined([used(1), transfer(payer, payTo, 9_999n)]), payment)).toBe(false)
    expect(movesPayment(mined([used(1), transfer(payer, other, 10_000n)]), payment)).toBe(false)
  })

  test('behavior: a reverted transaction, or one that spent another nonce, never moved it', () => {
    expect(movesPayment(mined([used(1), transfer(payer, payTo, 10_000n)], { success: false }), payment)).toBe(false)
    expect(movesPayment(mined([used(2), transfer(payer, payTo, 10_000n)]), payment)).toBe(false)
    expect(movesPayment(mined([used(1, other), transfer(payer, payTo, 10_000n)]), payment)).toBe(false)
    expect(movesPayment(mined([transfer(payer, payTo, 10_000n)]), payment)).toBe(false)
  })

  test('behavior: logs of another contract never count: neither its Transfer nor its AuthorizationUsed', () => {
    expect(movesPayment(mined([used(1), transfer(payer, payTo, 10_000n, other)]), payment)).toBe(false)
    expect(
      movesPayment(mined([used(1), transfer(payer, payer, 1n), transfer(payer, payTo, 10_000n, other)]), payment),
    ).toBe(false)
    expect(movesPayment(mined([used(1, payer, other), transfer(payer, payTo, 10_000n)]), payment)).toBe(false)
  })

  test('behavior: B plus a separate Transfer of the amount to payTo in the same transaction pays the seller', () => {
    const separate = transfer(payer, payTo, 10_000n)
    expect(movesPayment(mined([used(1), transfer(payer, payer, 1n), separate]), payment)).toBe(true)
    expect(movesPayment(mined([separate, used(1), transfer(payer, payer, 1n)]), payment)).toBe(true)
  })

  test('behavior: one separate Transfer backs one spent nonce only, handed out in log order', () => {
    const second = { ...payment, nonce: nonce(2) }
    const logs = [
      used(1),
      transfer(payer, payer, 1n),
      used(2),
      transfer(payer, payer, 1n),
      transfer(payer, payTo, 10_000n),
    ]
    expect(movesPayment(mined(logs), payment)).toBe(true)
    expect(movesPayment(mined(logs), second)).toBe(false)
    // Two separate transfers pay for both.
    const both = [...logs, transfer(payer, payTo, 10_000n)]
    expect(movesPayment(mined(both), payment)).toBe(true)
    expect(movesPayment(mined(both), second)).toBe(true)
  })

  test("behavior: the Transfer another authorization emitted is that authorization's, not this one's", () => {
    // C (nonce 2) pays payTo the amount; B burnt nonce 1 on 1 unit to the payer: nonce 1 paid nothing.
    const logs = [used(1), transfer(payer, payer, 1n), used(2), transfer(payer, payTo, 10_000n)]
    expect(movesPayment(mined(logs), payment)).toBe(false)
    expect(movesPayment(mined(logs), { ...payment, nonce: nonce(2) })).toBe(true)
  })

  test('behavior: logs are read in logIndex order', () => {
    // In order: nonce 1 spent with the Transfer to payTo, nonce 2 with 1 unit to the payer itself.
    const logs = [
      { ...used(2), logIndex: 3 },
      { ...transfer(payer, payTo, 10_000n), logIndex: 2 },
      { ...used(1), logIndex: 1 },
      { ...transfer(payer, payer, 1n), logIndex: 4 },
    ]
    expect(movesPayment(mined(logs), payment)).toBe(true)
    expect(movesPayment(mined(logs), { ...payment, nonce: nonce(2) })).toBe(false)
  })

  test('behavior: a direct call to the asset carrying this very authorization moved it', () => {
    const input = transferWithAuthorizationData(authorizationOf(payment), signature)
    // Logs alone would not say (no Transfer seen here), the call does.
    expect(movesPayment(mined([used(1)], { to: asset, input }), payment)).toBe(true)
    // Any other signed field differs: another authorization under the same nonce.
    for (const changed of [{ amount: 9_999n }, { payTo: other }, { validAfter: 1n }, { validBefore: 1_900_000_001n }]) {
      const b = transferWithAuthorizationData(authorizationOf({ ...payment, ...changed }), signature)
      expect(movesPayment(mined([used(1)], { to: asset, input: b }), payment)).toBe(false)
    }
    // Sent to another contract: it may do anything with those bytes.
    expect(movesPayment(mined([used(1)], { to: other, input }), payment)).toBe(false)
    // The nonce not spent in this transaction: the call did not run.
    expect(movesPayment(mined([], { to: asset, input }), payment)).toBe(false)
  })

  test('behavior: a Multicall3 batch counts only when its call cannot have failed alone', () => {
    const a = transferWithAuthorizationData(authorizationOf(payment), signature)
    const b = transferWithAuthorizationData(authorizationOf({ ...payment, payTo: payer, amount: 1n }), signature)
    const batch = (allowFailure: boolean) =>
      encodeAggregate3([
        { target: asset, allowFailure: true, callData: b },
        { target: asset, allowFailure, callData: a },
      ])
    // B ran first and burnt the nonce; A (allowFailure) reverted inside and the batch stood.
    const logs = [used(1), transfer(payer, payer, 1n)]
    expect(movesPayment(mined(logs, { to: multicall3Address, input: batch(true) }), payment)).toBe(false)
    // allowFailure false: had A reverted, the whole batch would have; it stood, so A ran.
    expect(movesPayment(mined([used(1)], { to: multicall3Address, input: batch(false) }), payment)).toBe(true)
    // The same bytes to a look-alike of Multicall3 prove nothing.
    expect(movesPayment(mined([used(1)], { to: other, input: batch(false) }), payment)).toBe(false)
  })
})
