import { expect, test } from 'vitest'
import { errorCodes, errorCodeTable, errorInfo, isErrorCode } from './errorCode.ts'

/** x402-specification-v2.md §9 (and v1 §9), pinned. */
const specCodes = [
  'insufficient_funds',
  'invalid_exact_evm_payload_authorization_valid_after',
  'invalid_exact_evm_payload_authorization_valid_before',
  'invalid_exact_evm_payload_authorization_value',
  'invalid_exact_evm_payload_authorization_value_mismatch',
  'invalid_exact_evm_payload_signature',
  'invalid_exact_evm_payload_recipient_mismatch',
  'invalid_network',
  'invalid_payload',
  'invalid_payment_requirements',
  'invalid_scheme',
  'unsupported_scheme',
  'invalid_x402_version',
  'invalid_transaction_state',
  'unexpected_verify_error',
  'unexpected_settle_error',
]

/** `@x402/evm@2.27.0 src/exact/facilitator/errors.ts` and legacy `x402@1.2.0` ErrorReasons, pinned. */
const officialCodes = [
  'invalid_exact_evm_scheme',
  'invalid_exact_evm_network_mismatch',
  'invalid_exact_evm_missing_eip712_domain',
  'invalid_exact_evm_recipient_mismatch',
  'invalid_exact_evm_signature',
  'invalid_exact_evm_payload_authorization_valid_before',
  'invalid_exact_evm_payload_authorization_valid_after',
  'invalid_exact_evm_authorization_value',
  'invalid_exact_evm_payload_authorization_value_mismatch',
  'invalid_exact_evm_token_name_mismatch',
  'invalid_exact_evm_token_version_mismatch',
  'invalid_exact_evm_eip3009_not_supported',
  'invalid_exact_evm_nonce_already_used',
  'invalid_exact_evm_insufficient_balance',
  'invalid_exact_evm_transaction_simulation_failed',
  'invalid_exact_evm_transaction_failed',
  'invalid_exact_evm_transfer_event_mismatch',
  'invalid_exact_evm_failed_to_parse_signature',
  'asset_not_deployed_contract',
  'eip6492_factory_not_allowed',
  'smart_wallet_deployment_failed',
  'invalid_transaction_state',
  'settlement_pending',
  'unsupported_payload_type',
  'invalid_exact_evm_payload_undeployed_smart_wallet',
  'invalid_payment',
  'payment_expired',
  'duplicate_settlement',
]

/** `@coinbase/cdp-sdk@1.57.0` X402VerifyInvalidReason / X402SettleErrorReason entries we reuse, pinned. */
const cdpCodes = [
  'invalid_exact_evm_payload_authorization_from_address_kyt',
  'invalid_exact_evm_payload_authorization_to_address_kyt',
  'kyt_risk_detected',
  'amount_too_low',
  'invalid_amount',
]

test('default', () => {
  expect(errorInfo('settlement_pending')).toEqual({ status: 202, class: 'pending' })
  expect(errorInfo('invalid_payload')).toEqual({ status: 400, class: 'invalid' })
  expect(isErrorCode('insufficient_funds')).toBe(true)
  expect(isErrorCode('nope')).toBe(false)
  expect(isErrorCode(42)).toBe(false)
})

test('behavior: no code is listed twice', () => {
  expect(new Set(errorCodes).size).toBe(errorCodes.length)
})

test('behavior: each code appears in the list its source pins', () => {
  const lists = { spec: specCodes, x402: officialCodes, cdp: cdpCodes } as const
  for (const entry of errorCodeTable) {
    if (entry.source === 'tollgate') continue
    expect(lists[entry.source], `${entry.code} (${entry.source})`).toContain(entry.code)
  }
})

test('behavior: every spec code is in the table', () => {
  for (const code of specCodes) expect(errorCodes).toContain(code)
})

test('behavior: our own codes do not shadow an official spelling', () => {
  const official = new Set([...specCodes, ...officialCodes, ...cdpCodes])
  for (const entry of errorCodeTable) {
    if (entry.source === 'tollgate') expect(official.has(entry.code), entry.code).toBe(false)
  }
})

test('behavior: statuses and classes are consistent', () => {
  for (const entry of errorCodeTable) {
    expect(entry.status, entry.code).toBeGreaterThanOrEqual(200)
    expect(entry.status, entry.code).toBeLessThan(600)
    if (entry.class === 'pending') expect(entry.status, entry.code).toBeLessThan(300)
    if (entry.class === 'invalid') expect(entry.status, entry.code).toBeGreaterThanOrEqual(400)
  }
})
