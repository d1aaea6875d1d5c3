import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { ErrorCode, PaymentRequiredV2, SettleResponse } from '@tollgate/protocol'

/** The `_meta` key of the payment a client sends with a tool call. @see specs/transports-v2/mcp.md */
export const paymentMetaKey = 'x402/payment'
/** The `_meta` key of the settlement a paid tool result carries. @see specs/transports-v2/mcp.md */
export const paymentResponseMetaKey = 'x402/payment-response'

/** `retryAfterSeconds` of a pending settlement: about two Base blocks. */
export const retryAfterSeconds = 2

/**
 * The x402 "payment required" tool result: `isError: true`, the PaymentRequired in `structuredContent`
 * and, as JSON, in `content[0].text`; with the settlement in `_meta` when one failed.
 *
 * @see specs/transports-v2/mcp.md (Payment Required Signaling, Settlement Failure)
 */
export function paymentRequiredResult(paymentRequired: PaymentRequiredV2, response?: SettleResponse): CallToolResult {
  return {
    isError: true,
    structuredContent: paymentRequired,
    content: [{ type: 'text', text: JSON.stringify(paymentRequired) }],
    ...(response ? { _meta: { [paymentResponseMetaKey]: response } } : {}),
  }
}

/** What a refusal that is not a new quote says (no `accepts`: the buyer must not pay again). */
export type PaymentErrorContent = {
  x402Version: 2
  error: ErrorCode
  message: string
  reason?: string
  transaction?: string
  network?: string
  retryAfterSeconds?: number
}

/**
 * A tool result for a paid call that must be retried with the same payment, or never again:
 * pending (`settlement_pending`, `retryAfterSeconds`), already delivered, the facilitator
 * unavailable, the payment in use by another call. It carries no `accepts`, so a client does not
 * sign a second payment for it.
 */
export function paymentErrorResult(content: PaymentErrorContent, response?: SettleResponse): CallToolResult {
  return {
    isError: true,
    structuredContent: content,
    content: [{ type: 'text', text: JSON.stringify(content) }],
    ...(response ? { _meta: { [paymentResponseMetaKey]: response } } : {}),
  }
}

/** The tool's own result with the settlement in `_meta["x402/payment-response"]`, as the facilitator sent it. */
export function withReceipt(result: CallToolResult, response: SettleResponse): CallToolResult {
  return { ...result, _meta: { ...result._meta, [paymentResponseMetaKey]: response } }
}

/**
 * The result when the facilitator is overloaded (it answered 429 or 503): our overload, never the
 * buyer's fault: `facilitator_unavailable` with `retryAfterSeconds`, whatever limit it applied to the seller.
 */
export function overloaded(seconds: number, reason: string, response?: SettleResponse): CallToolResult {
  return paymentErrorResult(
    {
      x402Version: 2,
      error: 'facilitator_unavailable',
      reason,
      message: 'The payment service is busy; send the same payment again after retryAfterSeconds.',
      retryAfterSeconds: seconds,
    },
    response,
  )
}
