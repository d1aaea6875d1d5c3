/**
 * `@tollgate/hono/core`: the paid call without its transport, for other carriers of x402 payments
 * (`@tollgate/mcp`'s tools): offers compiled and quoted as routes are, payments matched and checked
 * as the middleware does, and one paid call (verify, run, settle only on success; or settle first),
 * with the same delivery guarantees. Web APIs only.
 */
export { checkExactPayload } from './call/checkExactPayload.ts'
export { matchOffer } from './call/match.ts'
export type {
  PaidCallOutcome,
  PaidCallParameters,
  PaidCalls,
  PaidRun,
  SettleFailure,
  VerifyFailure,
} from './call/paidCall.ts'
export { callRequestId, createPaidCalls, paidCall, paymentKey } from './call/paidCall.ts'
export type { PricedShape, Quote, QuotedOffer, RouteShape } from './call/quote.ts'
export { buildQuote, failedQuote, resolveOffers, staticOffers } from './call/quote.ts'
export type { CompiledDelivery, Delivery, OptimisticOptions } from './routes/delivery.ts'
export { compileDelivery, optimisticRequest } from './routes/delivery.ts'
export type { CompiledOfferOf, DynamicOf, OfferOptionsOf, ResolvedAsset } from './routes/routeOptions.ts'
export { compileOffer } from './routes/routeOptions.ts'
