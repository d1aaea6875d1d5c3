/**
 * The one table of x402 error codes: wire spelling, HTTP status and class.
 *
 * - `invalid`: the payment is wrong; do not retry it as it is.
 * - `retryable`: a transient fault; the same payment may be retried.
 * - `pending`: the outcome is not known yet; do not pay again.
 *
 * Spelling decisions: generic and EVM payload codes follow `x402-specification-v2.md` §9
 * (`invalid_exact_evm_payload_signature`, `invalid_exact_evm_payload_recipient_mismatch`), not the
 * drifted `@x402/evm` 2.x names (`invalid_exact_evm_signature`, `invalid_exact_evm_recipient_mismatch`):
 * clients only display these strings, and the spec is the stable contract. Codes the spec does not
 * name take the `@x402/evm` spelling (`source: 'x402'`), then the CDP facilitator's (`source: 'cdp'`);
 * codes of our own are `source: 'tollgate'`.
 *
 * @see https://github.com/x402-foundation/x402/blob/main/specs/x402-specification-v2.md §9
 */
export const errorCodeTable = [
  // Spec §9
  { code: 'insufficient_funds', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_authorization_valid_after', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_authorization_valid_before', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_authorization_value', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_authorization_value_mismatch', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_signature', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_exact_evm_payload_recipient_mismatch', status: 402, class: 'invalid', source: 'spec' },
  { code: 'invalid_network', status: 400, class: 'invalid', source: 'spec' },
  { code: 'invalid_payload', status: 400, class: 'invalid', source: 'spec' },
  { code: 'invalid_payment_requirements', status: 400, class: 'invalid', source: 'spec' },
  { code: 'invalid_scheme', status: 400, class: 'invalid', source: 'spec' },
  { code: 'unsupported_scheme', status: 400, class: 'invalid', source: 'spec' },
  { code: 'invalid_x402_version', status: 400, class: 'invalid', source: 'spec' },
  { code: 'invalid_transaction_state', status: 402, class: 'invalid', source: 'spec' },
  { code: 'unexpected_verify_error', status: 502, class: 'retryable', source: 'spec' },
  { code: 'unexpected_settle_error', status: 502, class: 'retryable', source: 'spec' },
  // @x402/evm 2.x exact/EVM codes the spec does not name
  { code: 'invalid_exact_evm_missing_eip712_domain', status: 400, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_network_mismatch', status: 400, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_token_name_mismatch', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_token_version_mismatch', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_eip3009_not_supported', status: 400, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_nonce_already_used', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_insufficient_balance', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_transaction_simulation_failed', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_transaction_failed', status: 402, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_transfer_event_mismatch', status: 502, class: 'invalid', source: 'x402' },
  { code: 'invalid_exact_evm_failed_to_parse_signature', status: 400, class: 'invalid', source: 'x402' },
  { code: 'asset_not_deployed_contract', status: 400, class: 'invalid', source: 'x402' },
  { code: 'eip6492_factory_not_allowed', status: 402, class: 'invalid', source: 'x402' },
  { code: 'smart_wallet_deployment_failed', status: 402, class: 'invalid', source: 'x402' },
  { code: 'settlement_pending', status: 202, class: 'pending', source: 'x402' },
  { code: 'invalid_exact_evm_payload_undeployed_smart_wallet', status: 402, class: 'invalid', source: 'x402' },
  { code: 'duplicate_settlement', status: 409, class: 'invalid', source: 'x402' },
  // CDP facilitator codes (screening, amounts)
  { code: 'invalid_exact_evm_payload_authorization_from_address_kyt', status: 403, class: 'invalid', source: 'cdp' },
  { code: 'invalid_exact_evm_payload_authorization_to_address_kyt', status: 403, class: 'invalid', source: 'cdp' },
  { code: 'kyt_risk_detected', status: 403, class: 'invalid', source: 'cdp' },
  { code: 'amount_too_low', status: 402, class: 'invalid', source: 'cdp' },
  { code: 'invalid_amount', status: 400, class: 'invalid', source: 'cdp' },
  // Tollgate's own
  { code: 'invalid_request', status: 400, class: 'invalid', source: 'tollgate' },
  { code: 'payload_too_large', status: 413, class: 'invalid', source: 'tollgate' },
  { code: 'asset_paused', status: 503, class: 'retryable', source: 'tollgate' },
  { code: 'payment_requirements_mismatch', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'payment_required', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'facilitator_unavailable', status: 502, class: 'retryable', source: 'tollgate' },
  { code: 'rpc_unavailable', status: 503, class: 'retryable', source: 'tollgate' },
  { code: 'authorization_in_use', status: 409, class: 'retryable', source: 'tollgate' },
  { code: 'unauthorized', status: 401, class: 'invalid', source: 'tollgate' },
  // Authenticated, but the key or token may not do this (a scope it lacks, a payTo outside its list).
  { code: 'forbidden', status: 403, class: 'invalid', source: 'tollgate' },
  { code: 'rate_limited', status: 429, class: 'retryable', source: 'tollgate' },
  { code: 'payment_rejected', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'unsupported_asset', status: 400, class: 'invalid', source: 'tollgate' },
  { code: 'invalid_exact_evm_payload_signature_high_s', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'invalid_exact_evm_payload_signature_v', status: 402, class: 'invalid', source: 'tollgate' },
  // The payment settled and its content was delivered, once, to another request: a new delivery needs a new payment.
  { code: 'payment_already_delivered', status: 409, class: 'invalid', source: 'tollgate' },
  // Compliance screening (sanctions): the public reason names only the party, never the list or the entity (the
  // facilitator's audit trail has the detail). 402 with the reason, as for any declined payment: paying again with
  // the same wallet cannot help a blocked party; `compliance_unavailable` (a screening source is down or its list
  // is stale, and the policy fails closed) may pass later.
  { code: 'compliance_blocked_payer', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'compliance_blocked_recipient', status: 402, class: 'invalid', source: 'tollgate' },
  { code: 'compliance_unavailable', status: 402, class: 'invalid', source: 'tollgate' },
] as const satisfies readonly ErrorCodeEntry[]

/** One row of {@link errorCodeTable}. */
export type ErrorCodeEntry = {
  code: string
  /** The HTTP status a server answers with when this code ends a request. */
  status: number
  class: ErrorClass
  /** Who named the code first: the spec, the official packages, Coinbase's facilitator, or us. */
  source: 'spec' | 'x402' | 'cdp' | 'tollgate'
}

/** How a caller should react to an error code. */
export type ErrorClass = 'invalid' | 'retryable' | 'pending'

/** Every wire error code, as a union of string literals. */
export type ErrorCode = (typeof errorCodeTable)[number]['code']

/** Every wire error code, in table order. */
export const errorCodes: readonly ErrorCode[] = errorCodeTable.map((entry) => entry.code)

const byCode: ReadonlyMap<string, (typeof errorCodeTable)[number]> = new Map(
  errorCodeTable.map((entry) => [entry.code, entry]),
)

/** True when `value` is one of our wire error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && byCode.has(value)
}

/**
 * The HTTP status and class of a code.
 *
 * @example
 * errorInfo('settlement_pending') // { status: 202, class: 'pending' }
 */
export function errorInfo(code: ErrorCode): { status: number; class: ErrorClass } {
  const entry = byCode.get(code)
  if (!entry) throw new TypeError(`unknown error code: ${code}`)
  return { status: entry.status, class: entry.class }
}
