import type { PaymentPayload, PaymentRequirementsV2, SettleResponse, SignedReceipt } from '@tollgate/protocol'

/**
 * The verified payment of the current request, as the handler reads it with `c.get('payment')`
 * on a protected route.
 *
 * @example
 * app.get('/weather', (c) => {
 *   const { payer, amount } = c.get('payment')
 *   return c.json({ paidBy: payer, atomic: amount.toString() })
 * })
 */
export type Payment = {
  /** The route key of the options, e.g. `'GET /weather'`. */
  route: string
  /** The protocol version the client paid with: 2 (`PAYMENT-SIGNATURE`) or 1 (`X-PAYMENT`). */
  x402Version: 1 | 2
  /** The offer the payment matched, in v2 shape (CAIP-2 network, `amount`) whatever the version. */
  requirements: PaymentRequirementsV2
  /** `requirements.amount` as a bigint, in the asset's atomic units. */
  amount: bigint
  /** The payer's address as the facilitator reported it. */
  payer: string | undefined
  /** The decoded payment header. */
  payload: PaymentPayload
  /** The settlement, on routes that settle before the handler runs; `undefined` otherwise. */
  settlement: SettleResponse | undefined
  /**
   * The facilitator-signed receipt (x402 `offer-receipt`, JWS), when the facilitator issues them:
   * in the handler on routes that settle before it; on other routes set once settled (after the
   * handler, for middleware registered before `paymentRequired` to read after `await next()`).
   * Check it with {@link createReceiptVerifier}. It also reaches the buyer in `PAYMENT-RESPONSE`.
   */
  receipt?: SignedReceipt | undefined
  /** The receipt id (`GET /receipts/:id` on the facilitator, with the seller's key), also while pending. */
  receiptId?: string | undefined
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `@tollgate/hono`'s `paymentRequired` on protected routes once the payment is verified. */
    payment: Payment
  }
}
