export type { Asset, AssetNetwork } from './assets.ts'
export { assets, defaultAsset, findAsset } from './assets.ts'
export type { Clock, Now } from './clock.ts'
export { systemClock, systemNow } from './clock.ts'
export type { ErrorClass, ErrorCode, ErrorCodeEntry } from './errorCode.ts'
export { errorCodes, errorCodeTable, errorInfo, isErrorCode } from './errorCode.ts'
export type { X402ErrorCode, X402ErrorParameters } from './errors.ts'
export { ConfigError, DecodeError, isX402Error, X402Error } from './errors.ts'
export { decodeBase64, encodeBase64 } from './headers/base64.ts'
export type { DecodeHeaderOptions } from './headers/headerCodec.ts'
export { decodeHeader, defaultMaxHeaderLength, encodeHeader } from './headers/headerCodec.ts'
export { headers } from './headers/headers.ts'
export type {
  FacilitatorRequest,
  FacilitatorRequestV1,
  FacilitatorRequestV2,
  ResourceDeclaration,
  TollgateRequest,
} from './messages/facilitatorRequest.ts'
export {
  facilitatorRequestSchema,
  facilitatorRequestV1Schema,
  facilitatorRequestV2Schema,
  isResourceUrl,
  maxDiscoveryBytes,
  resourceDeclarationSchema,
  tollgateExtensions,
  tollgateRequestSchema,
} from './messages/facilitatorRequest.ts'
export type { OfferClaims, ReceiptClaims, SignedOffer, SignedReceipt } from './messages/offerReceipt.ts'
export {
  canonicalJson,
  jwsArtifactSchema,
  offerInfoSchema,
  offerReceiptExtension,
  offerReceiptVersion,
  receiptClaimsSchema,
  receiptIdOf,
  receiptInfoSchema,
  receiptOf,
} from './messages/offerReceipt.ts'
export type {
  Authorization,
  ExactEvmPayload,
  PaymentPayload,
  PaymentPayloadV1,
  PaymentPayloadV2,
} from './messages/paymentPayload.ts'
export {
  authorizationSchema,
  exactEvmPayloadSchema,
  paymentPayloadSchema,
  paymentPayloadV1Schema,
  paymentPayloadV2Schema,
} from './messages/paymentPayload.ts'
export type { PaymentRequiredV1, PaymentRequiredV2, ResourceInfo } from './messages/paymentRequired.ts'
export { paymentRequiredV1Schema, paymentRequiredV2Schema, resourceInfoSchema } from './messages/paymentRequired.ts'
export type { PaymentRequirementsV1, PaymentRequirementsV2 } from './messages/paymentRequirements.ts'
export { paymentRequirementsV1Schema, paymentRequirementsV2Schema } from './messages/paymentRequirements.ts'
export type { SettleResponse } from './messages/settleResponse.ts'
export { settleResponseSchema } from './messages/settleResponse.ts'
export type { SupportedKind, SupportedResponse } from './messages/supported.ts'
export { supportedKindSchema, supportedResponseSchema } from './messages/supported.ts'
export type { VerifyResponse } from './messages/verifyResponse.ts'
export { verifyResponseSchema } from './messages/verifyResponse.ts'
export type { ParseMoneyOptions } from './money.ts'
export { formatMoney, parseAtomicAmount, parseMoney } from './money.ts'
export type { EvmNetwork, V1NetworkName } from './networks.ts'
export { chainIdOf, toCaip2, toV1Name, v1Networks } from './networks.ts'
export {
  addressSchema,
  bytes32Schema,
  caip2Schema,
  hexSchema,
  jsonObjectSchema,
  uintStringSchema,
} from './primitives.ts'
export { isValidRouteTemplate, matchesTemplate } from './routeTemplate.ts'
