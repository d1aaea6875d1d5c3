export type {
  CallContext,
  Facilitator,
  FacilitatorCall,
  SettleResult,
  SupportedResult,
  VerifyResult,
} from './facilitator.ts'
export { toErrorCode } from './facilitator.ts'
export type {
  FacilitatorAuthHeaders,
  FacilitatorTimeouts,
  HttpFacilitator,
  HttpFacilitatorConfig,
} from './httpFacilitator.ts'
export { httpFacilitator } from './httpFacilitator.ts'
export type { Payment } from './payment.ts'
export type { PaymentRequiredOptions } from './paymentRequired.ts'
export { paymentRequired } from './paymentRequired.ts'
export type { PaywallInfo, PaywallOffer } from './paywall.ts'
export { renderPaywall } from './paywall.ts'
export type { Dynamic, OfferAsset, OfferOptions, Price, RouteOptions, RoutesOptions } from './routes.ts'
