export { authorizationDigest } from './authorization/authorizationDigest.ts'
export type {
  AuthorizationDigester,
  CreateAuthorizationDigesterOptions,
} from './authorization/createAuthorizationDigester.ts'
export { createAuthorizationDigester } from './authorization/createAuthorizationDigester.ts'
export type { TokenDomain } from './authorization/domainSeparator.ts'
export { domainSeparator } from './authorization/domainSeparator.ts'
export type { ExactAuthorization } from './authorization/toExactAuthorization.ts'
export { toExactAuthorization } from './authorization/toExactAuthorization.ts'
export {
  transferWithAuthorizationTypeHash,
  transferWithAuthorizationTypes,
} from './authorization/transferWithAuthorizationTypes.ts'
export type { Call3, Call3Result } from './encoding/aggregate3.ts'
export { decodeAggregate3Result, encodeAggregate3, multicall3Address } from './encoding/aggregate3.ts'
export { eip3009Abi } from './encoding/eip3009Abi.ts'
export { keccak256Bytes } from './encoding/keccak256Bytes.ts'
export type {
  SettlementDataOptions,
  SettlementDataReturnType,
  SettlementPayment,
} from './encoding/settlementData.ts'
export { settlementData } from './encoding/settlementData.ts'
export { transferWithAuthorizationData } from './encoding/transferWithAuthorizationData.ts'
export { encodeTryAggregate, tryAggregateAbi } from './encoding/tryAggregate.ts'
export { RpcUnavailableError } from './errors.ts'
export type { AuthorizationKey } from './evidence/authorizationKey.ts'
export type { FindAuthorizationUseOptions, PaymentUse } from './evidence/authorizationUse.ts'
export { findAuthorizationUse, findPaymentUse, isAuthorizationUsedIn } from './evidence/authorizationUse.ts'
export type { HasTransferLogParameters, RawLog } from './evidence/hasTransferLog.ts'
export { hasTransferLog } from './evidence/hasTransferLog.ts'
export type { MinedTransaction, PaymentTerms } from './evidence/movesPayment.ts'
export { movesPayment } from './evidence/movesPayment.ts'
export type { PaymentInTransaction } from './evidence/paymentInTransaction.ts'
export { paymentInTransaction } from './evidence/paymentInTransaction.ts'
export type { VerifiedSignature } from './verify/checkWalletSignature.ts'
export type {
  CreateExactVerifierOptions,
  ExactRequirements,
  ExactVerifier,
  VerifyExactParameters,
  VerifyExactReturnType,
} from './verify/createExactVerifier.ts'
export { createExactVerifier } from './verify/createExactVerifier.ts'
export type {
  CreateMulticallSchedulerOptions,
  MulticallGroup,
  MulticallGroupResult,
  MulticallScheduler,
  ScheduleOptions,
} from './verify/createMulticallScheduler.ts'
export { createMulticallScheduler } from './verify/createMulticallScheduler.ts'
export type { RecoverAddress } from './verify/recoverAddress.ts'
export { jsRecoverAddress } from './verify/recoverAddress.ts'
export type { ScreenAnswers, ScreenHook, ScreenVerdict } from './verify/screenHook.ts'
export type { SettlementFields } from './verify/simulateSettlement.ts'
