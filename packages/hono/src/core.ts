/**
 * `@tollgate/hono/core`: the paid call without its transport, for other carriers of x402 payments
 * (`@tollgate/mcp`'s tools): offers compiled and quoted as routes are, payments matched and checked
 * as the middleware does, and one paid call (verify, run, settle only on success; or settle first),
 * with the same delivery guarantees. Web APIs only.
 */
export { checkExactPayload } from './checkExactPayload.ts'
export { matchOffer } from './match.ts'
export type {
  PaidCallOutcome,
  PaidCallParameters,
  PaidCalls,
  PaidRun,
  SettleFailure,
  VerifyFailure,
} from './paidCall.ts'
export { callRequestId, createPaidCalls, paidCall, paymentKey } from './paidCall.ts'
export type { PricedShape, Quote, QuotedOffer, RouteShape } from './quote.ts'
export { buildQuote, failedQuote, resolveOffers, staticOffers } from './quote.ts'
export type { CompiledOfferOf, DynamicOf, OfferOptionsOf, ResolvedAsset } from './routeOptions.ts'
export { compileOffer } from './routeOptions.ts'
