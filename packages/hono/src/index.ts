export type { Clock, Now } from './clock.ts'
export type { RouteExample, RouteInput } from './discovery.ts'
export type { DiscoveryDocumentsOptions } from './discoveryDocuments.ts'
export { discoveryDocuments } from './discoveryDocuments.ts'
export type {
  CallContext,
  FacilitatorCall,
  FacilitatorClient,
  SettleResult,
  SupportedResult,
  VerifyResult,
} from './facilitatorClient.ts'
export { toErrorCode } from './facilitatorClient.ts'
export type {
  FacilitatorAuthHeaders,
  FacilitatorTimeouts,
  HttpFacilitator,
  HttpFacilitatorConfig,
} from './httpFacilitator.ts'
export { httpFacilitator } from './httpFacilitator.ts'
export type { OpenApiDocument, OpenApiInfo } from './openApi.ts'
export type { Payment } from './payment.ts'
export type { PaymentRequiredOptions } from './paymentRequired.ts'
export { paymentRequired } from './paymentRequired.ts'
export type { PaywallInfo, PaywallOffer } from './paywall.ts'
export { renderPaywall } from './paywall.ts'
export type { InputIssue, InvalidInput, PayloadTooLarge } from './requestInput.ts'
export type { Dynamic, OfferAsset, OfferOptions, Price, RouteOptions, RoutesOptions } from './routeOptions.ts'
export type { JsonSchema, Schema, StandardSchema } from './schema.ts'
export type { OfferSigner, OfferSigningOptions } from './signOffers.ts'
export type {
  CreateReceiptVerifierOptions,
  ReceiptKeySet,
  ReceiptRefusal,
  ReceiptVerifier,
  VerifyReceiptOptions,
  VerifyReceiptResult,
} from './verifyReceipt.ts'
export { createReceiptVerifier, verifyReceipt } from './verifyReceipt.ts'
export type { PublishedOffer, PublishedPrice, WellKnownDocument, WellKnownResource } from './wellKnown.ts'
