/**
 * x402 HTTP header names. HTTP header names are case-insensitive; these are the spellings the
 * official packages send.
 *
 * @see transports-v1/http.md, transports-v2/http.md
 */
export const headers = {
  /** v2, server → client on 402: base64 JSON `PaymentRequired`. */
  paymentRequired: 'PAYMENT-REQUIRED',
  /** v2, client → server: base64 JSON `PaymentPayload`. */
  paymentSignature: 'PAYMENT-SIGNATURE',
  /** v2, server → client: base64 JSON `SettleResponse`. */
  paymentResponse: 'PAYMENT-RESPONSE',
  /** v1, client → server: base64 JSON `PaymentPayload`. */
  xPayment: 'X-PAYMENT',
  /** v1, server → client: base64 JSON `SettleResponse`. */
  xPaymentResponse: 'X-PAYMENT-RESPONSE',
} as const
