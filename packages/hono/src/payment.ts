import type { PaymentPayload, PaymentRequirementsV2, SettleResponse } from '@tollgate/protocol'

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
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by `@tollgate/hono`'s `paymentRequired` on protected routes once the payment is verified. */
    payment: Payment
  }
}
