import { type ErrorCode, errorInfo } from '@tollgate/protocol'

/**
 * Fixed messages for the codes whose cause is a fault on our side (an RPC node, a provider, the
 * ledger): the caller learns what happened and what to do, never the provider's text or URL.
 */
const messages: Readonly<Partial<Record<ErrorCode, string>>> = {
  unexpected_verify_error: 'The facilitator could not verify this payment now; retry the same payment.',
  unexpected_settle_error: 'The facilitator could not settle this payment now; retry the same payment.',
  rpc_unavailable: 'The chain could not be reached; retry the same payment.',
  invalid_exact_evm_transaction_failed: 'The settlement transaction failed on chain.',
  invalid_exact_evm_transaction_simulation_failed: 'The settlement would fail on chain.',
  settlement_pending: 'The settlement is not confirmed yet; ask again and do not pay again.',
  unauthorized: 'Authentication is required: send a valid API key or token.',
  forbidden: 'This API key or token may not do this.',
}

/**
 * The fixed message answered to a caller for `code`: one sentence per code (or per class), never
 * built from an error, so no RPC or provider text, stack or URL reaches a response.
 *
 * @example
 * import { callerMessage } from './callerMessage.ts'
 * callerMessage('unexpected_settle_error') // 'The facilitator could not settle this payment now; …'
 */
export function callerMessage(code: ErrorCode): string {
  const fixed = messages[code]
  if (fixed !== undefined) return fixed
  switch (errorInfo(code).class) {
    case 'retryable':
      return 'A transient fault; retry the same payment.'
    case 'pending':
      return 'The outcome is not known yet; do not pay again.'
    default:
      return 'The payment was refused.'
  }
}

/**
 * `text` with every URL replaced by `<url>` (RPC URLs carry provider keys): for logs.
 *
 * @example
 * import { redactUrls } from '@tollgate/facilitator'
 * redactUrls('fetch failed: https://rpc.example/v2/KEY') // 'fetch failed: <url>'
 */
export function redactUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)]+/gi, '<url>')
}

/** A fault's detail for the server log: its message (and causes'), URLs redacted, bounded. */
export function faultDetail(context: string, error: unknown): Error {
  const parts: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    parts.push(current instanceof Error ? current.message : String(current))
    current = current instanceof Error ? current.cause : undefined
  }
  return new Error(`${context}: ${redactUrls(parts.join(' <- ')).slice(0, 1000)}`)
}
