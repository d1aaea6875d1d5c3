export type { Clock, Now } from '@tollgate/protocol'
export type { RouteExample, RouteInput } from './discovery/discovery.ts'
export type { DiscoveryDocumentsOptions } from './discovery/discoveryDocuments.ts'
export { discoveryDocuments } from './discovery/discoveryDocuments.ts'
export type { OpenApiDocument, OpenApiInfo } from './discovery/openApi.ts'
export type { JsonSchema, Schema, StandardSchema } from './discovery/schema.ts'
export type { PublishedOffer, PublishedPrice, WellKnownDocument, WellKnownResource } from './discovery/wellKnown.ts'
export type {
  CallContext,
  FacilitatorCall,
  FacilitatorClient,
  SettleResult,
  SupportedResult,
  VerifyResult,
} from './facilitator/facilitatorClient.ts'
export { toErrorCode } from './facilitator/facilitatorClient.ts'
export type {
  FacilitatorAuthHeaders,
  FacilitatorTimeouts,
  HttpFacilitator,
  HttpFacilitatorConfig,
} from './facilitator/httpFacilitator.ts'
export { httpFacilitator } from './facilitator/httpFacilitator.ts'
export type { InputIssue, InvalidInput, PayloadTooLarge } from './http/requestInput.ts'
export type { Payment } from './payment.ts'
export type { PaymentRequiredOptions } from './paymentRequired.ts'
export { paymentRequired } from './paymentRequired.ts'
export { paywallContentSecurityPolicy } from './paywall/contentSecurityPolicy.ts'
export type { PaywallPage } from './paywall/createPaywall.ts'
export type { PaywallInfo, PaywallOffer } from './paywall/paywallInfo.ts'
export type { PaywallOptions } from './paywall/paywallOptions.ts'
export { renderPaywall } from './paywall/renderPaywall.ts'
export type { OfferSigner, OfferSigningOptions } from './receipts/signOffers.ts'
export type {
  CreateReceiptVerifierOptions,
  ReceiptKeySet,
  ReceiptRefusal,
  ReceiptVerifier,
  VerifyReceiptOptions,
  VerifyReceiptResult,
} from './receipts/verifyReceipt.ts'
export { createReceiptVerifier, verifyReceipt } from './receipts/verifyReceipt.ts'
export type { Delivery, OptimisticOptions } from './routes/delivery.ts'
export type { Dynamic, OfferAsset, OfferOptions, Price, RouteOptions, RoutesOptions } from './routes/routeOptions.ts'
