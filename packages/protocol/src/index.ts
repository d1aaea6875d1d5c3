export type { Asset, AssetNetwork } from './assets.ts'
export { assets, defaultAsset, findAsset } from './assets.ts'
export { decodeBase64, encodeBase64 } from './base64.ts'
export type { ErrorClass, ErrorCode, ErrorCodeEntry } from './errorCode.ts'
export { errorCodes, errorCodeTable, errorInfo, isErrorCode } from './errorCode.ts'
export type { X402ErrorCode, X402ErrorParameters } from './errors.ts'
export { ConfigError, DecodeError, isX402Error, X402Error } from './errors.ts'
export type {
  FacilitatorRequest,
  FacilitatorRequestV1,
  FacilitatorRequestV2,
  ResourceDeclaration,
  TollgateRequest,
} from './facilitatorRequest.ts'
export {
  facilitatorRequestSchema,
  facilitatorRequestV1Schema,
  facilitatorRequestV2Schema,
  isResourceUrl,
  maxDiscoveryBytes,
  resourceDeclarationSchema,
  tollgateExtensions,
  tollgateRequestSchema,
} from './facilitatorRequest.ts'
export type { DecodeHeaderOptions } from './headerCodec.ts'
export { decodeHeader, defaultMaxHeaderLength, encodeHeader } from './headerCodec.ts'
export { headers } from './headers.ts'
export type { ParseMoneyOptions } from './money.ts'
export { formatMoney, parseAtomicAmount, parseMoney } from './money.ts'
export type { EvmNetwork, V1NetworkName } from './networks.ts'
export { chainIdOf, toCaip2, toV1Name, v1Networks } from './networks.ts'
export type { OfferClaims, ReceiptClaims, SignedOffer, SignedReceipt } from './offerReceipt.ts'
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
} from './offerReceipt.ts'
export type {
  Authorization,
  ExactEvmPayload,
  PaymentPayload,
  PaymentPayloadV1,
  PaymentPayloadV2,
} from './paymentPayload.ts'
export {
  authorizationSchema,
  exactEvmPayloadSchema,
  paymentPayloadSchema,
  paymentPayloadV1Schema,
  paymentPayloadV2Schema,
} from './paymentPayload.ts'
export type { PaymentRequiredV1, PaymentRequiredV2, ResourceInfo } from './paymentRequired.ts'
export { paymentRequiredV1Schema, paymentRequiredV2Schema, resourceInfoSchema } from './paymentRequired.ts'
export type { PaymentRequirementsV1, PaymentRequirementsV2 } from './paymentRequirements.ts'
export { paymentRequirementsV1Schema, paymentRequirementsV2Schema } from './paymentRequirements.ts'
export {
  addressSchema,
  bytes32Schema,
  caip2Schema,
  hexSchema,
  jsonObjectSchema,
  uintStringSchema,
} from './primitives.ts'
export { isValidRouteTemplate, matchesTemplate } from './routeTemplate.ts'
export type { SettleResponse } from './settleResponse.ts'
export { settleResponseSchema } from './settleResponse.ts'
export type { SupportedKind, SupportedResponse } from './supported.ts'
export { supportedKindSchema, supportedResponseSchema } from './supported.ts'
export type { VerifyResponse } from './verifyResponse.ts'
export { verifyResponseSchema } from './verifyResponse.ts'
