import { encodeAggregate3, multicall3Address, type RawLog } from '@tollgate/evm'
import { type Address, type Hex, toHex } from 'viem'
import { describe, expect, test } from 'vitest'
import { asset, callOf, nonce, other, payer, payment, payTo, transfer, used } from '../../../evm/test/paymentLogs.ts'
import {
  type AuthorizationOnChain,
  type JudgeSettlementReturnType,
  judgeSettlement,
  type MinedSettlement,
} from './judgeSettlement.ts'

const hash = (n: number): Hex => toHex(n, { size: 32 })

/** Our settlement (hash 1, block 100) or another transaction (hash 2, block 99). */
const ours = (logs: RawLog[], rest: Partial<MinedSettlement> = {}): MinedSettlement => ({
  hash: hash(1),
  blockNumber: 100n,
  success: true,
  logs,
  ...rest,
})
const theirs = (logs: RawLog[], rest: Partial<MinedSettlement> = {}): MinedSettlement =>
  ours(logs, { hash: hash(2), blockNumber: 99n, ...rest })

const pays = [used(1), transfer(payer, payTo, 10_000n)]
/** The payer's other authorization under the same nonce: 1 unit to itself. */
const burns = [used(1), transfer(payer, payer, 1n)]
const reverted = ours([], { success: false })
/** A Multicall3 batch of two payments of the payer to payTo for the same amount (nonces 1 and 2). */
const batch = (allowFailure: boolean) => ({
  to: multicall3Address,
  input: encodeAggregate3([
    { target: asset, allowFailure, callData: callOf(payment) },
    { target: asset, allowFailure, callData: callOf({ ...payment, nonce: nonce(2) }) },
  ]),
})

const settled = (h: Hex, blockNumber: bigint): JudgeSettlementReturnType => ({
  verdict: 'settled',
  blockNumber,
  transaction: h,
})
const failed = (errorCode: string, spentByUs: boolean): JudgeSettlementReturnType =>
  ({
    verdict: 'failed',
    failure: { errorCode, blockNumber: 100n, transaction: hash(1) },
    spentByUs,
  }) as JudgeSettlementReturnType
const paidBy = (h: Hex, blockNumber: bigint): JudgeSettlementReturnType => ({
  verdict: 'spent',
  spent: { paid: true, hash: h, blockNumber },
})
const notPaid = (errorMessage: string): JudgeSettlementReturnType => ({
  verdict: 'spent',
  spent: { paid: false, errorMessage },
})
const elsewhere = (h: Hex) => notPaid(`The payer spent this nonce in ${h}, which did not move this payment.`)
const canceledMessage = 'The payer cancelled the authorization on chain.'

const unspent: AuthorizationOnChain = { state: 'unspent' }
const usedBy = (by: MinedSettlement): AuthorizationOnChain => ({ state: 'used', by })

type Case = [
  name: string,
  receipt: MinedSettlement | undefined,
  authorization: AuthorizationOnChain | undefined,
  expected: JudgeSettlementReturnType,
]

// Every case of the judgement: our receipt (success or revert, single or batch), the nonce spent by
// this authorization or another, the Transfer of the exact amount present or not.
const cases: Case[] = [
  // Our receipt spent this authorization: it decides alone, the chain is not read.
  ['ours, single, spent with the exact Transfer', ours(pays), undefined, settled(hash(1), 100n)],
  [
    'ours, replacement that landed (its hash recorded)',
    ours(pays, { hash: hash(7) }),
    undefined,
    settled(hash(7), 100n),
  ],
  [
    'ours, spent without a Transfer',
    ours([used(1)]),
    undefined,
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
  [
    'ours, spent with a Transfer one unit short',
    ours([used(1), transfer(payer, payTo, 9_999n)]),
    undefined,
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
  [
    'ours, spent with the Transfer to someone else',
    ours([used(1), transfer(payer, other, 10_000n)]),
    undefined,
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
  [
    'ours, spent with the Transfer emitted by another contract',
    ours([used(1), transfer(payer, payTo, 10_000n, other)]),
    undefined,
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
  [
    'ours, spent, the call carried but no Transfer (never counted without it)',
    ours([used(1)], { to: asset, input: callOf(payment) }),
    undefined,
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
  [
    'ours, batch, both calls ran',
    ours([...pays, used(2), transfer(payer, payTo, 10_000n)], batch(true)),
    undefined,
    settled(hash(1), 100n),
  ],
  [
    'ours, batch, only the other payment ran (its Transfer is not this one)',
    ours([used(2), transfer(payer, payTo, 10_000n)], batch(true)),
    undefined,
    { verdict: 'read' },
  ],
  ['ours, reverted', reverted, undefined, { verdict: 'read' }],
  ['ours, another asset spent the same payer and nonce', ours([used(1, payer, other)]), undefined, { verdict: 'read' }],
  ['no receipt, nothing read', undefined, undefined, { verdict: 'read' }],
  // Our transaction did not spend it (or none is mined): what the chain says decides.
  ['ours reverted, authorization unspent', reverted, unspent, failed('invalid_exact_evm_transaction_failed', false)],
  [
    'ours, batch stood, this call failed, authorization unspent',
    ours([used(2), transfer(payer, payTo, 10_000n)], batch(true)),
    unspent,
    failed('invalid_exact_evm_transaction_failed', false),
  ],
  ['no receipt, authorization unspent', undefined, unspent, { verdict: 'pending' }],
  ['ours reverted, spent by this payment elsewhere', reverted, usedBy(theirs(pays)), paidBy(hash(2), 99n)],
  ['no receipt, spent by this payment elsewhere', undefined, usedBy(theirs(pays)), paidBy(hash(2), 99n)],
  [
    'ours reverted, spent elsewhere in a batch that moved it',
    reverted,
    usedBy(theirs([used(3), transfer(payer, payTo, 10_000n), ...pays])),
    paidBy(hash(2), 99n),
  ],
  ['ours reverted, spent by another authorization of the payer', reverted, usedBy(theirs(burns)), elsewhere(hash(2))],
  [
    'no receipt, spent by another authorization, the Transfer of the amount by another contract',
    undefined,
    usedBy(theirs([...burns, transfer(payer, payTo, 10_000n, other)])),
    elsewhere(hash(2)),
  ],
  [
    'no receipt, spent elsewhere, the call carried but no Transfer (never counted without it)',
    undefined,
    usedBy(theirs([used(1)], { to: asset, input: callOf(payment) })),
    elsewhere(hash(2)),
  ],
  [
    'no receipt, spent elsewhere in a batch (allowFailure false) with the Transfer',
    undefined,
    usedBy(theirs([...pays, used(2), transfer(payer, payTo, 10_000n)], batch(false))),
    paidBy(hash(2), 99n),
  ],
  [
    'no receipt, spent by a transaction reported reverted',
    undefined,
    usedBy(theirs(pays, { success: false })),
    elsewhere(hash(2)),
  ],
  ['ours reverted, authorization cancelled by the payer', reverted, { state: 'canceled' }, notPaid(canceledMessage)],
  ['no receipt, authorization cancelled by the payer', undefined, { state: 'canceled' }, notPaid(canceledMessage)],
  ['ours reverted, spent by a transaction out of reach', reverted, { state: 'unreachable' }, { verdict: 'pending' }],
  ['no receipt, spent by a transaction out of reach', undefined, { state: 'unreachable' }, { verdict: 'pending' }],
  // What the chain says never overrides our receipt that spent the authorization.
  ['ours, spent with the exact Transfer; chain read anyway', ours(pays), usedBy(ours(pays)), settled(hash(1), 100n)],
  [
    'ours, spent without the Transfer; chain read anyway',
    ours(burns),
    usedBy(ours(burns)),
    failed('invalid_exact_evm_transfer_event_mismatch', true),
  ],
]

describe('judgeSettlement', () => {
  test('default: our receipt with this authorization spent and the exact Transfer is settled', () => {
    expect(judgeSettlement({ payment, receipt: ours(pays) })).toEqual(settled(hash(1), 100n))
  })

  test.each(cases)('behavior: %s', (_name, receipt, authorization, expected) => {
    expect(judgeSettlement({ payment, receipt, authorization })).toEqual(expected)
  })

  test('behavior: addresses and the nonce compare in any case', () => {
    const upper = { ...payment, payer: payer.toUpperCase().replace('0X', '0x') as Address }
    expect(judgeSettlement({ payment: upper, receipt: ours(pays) })).toEqual(settled(hash(1), 100n))
  })
})
