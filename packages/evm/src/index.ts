export type { Call3, Call3Result } from './aggregate3.ts'
export { decodeAggregate3Result, encodeAggregate3, multicall3Address } from './aggregate3.ts'
export { authorizationDigest } from './authorizationDigest.ts'
export type { VerifiedSignature } from './checkWalletSignature.ts'
export type { AuthorizationDigester, CreateAuthorizationDigesterOptions } from './createAuthorizationDigester.ts'
export { createAuthorizationDigester } from './createAuthorizationDigester.ts'
export type {
  CreateExactVerifierOptions,
  ExactRequirements,
  ExactVerifier,
  VerifyExactParameters,
  VerifyExactReturnType,
} from './createExactVerifier.ts'
export { createExactVerifier } from './createExactVerifier.ts'
export type {
  CreateMulticallSchedulerOptions,
  MulticallGroup,
  MulticallGroupResult,
  MulticallScheduler,
  ScheduleOptions,
} from './createMulticallScheduler.ts'
export { createMulticallScheduler } from './createMulticallScheduler.ts'
export type { TokenDomain } from './domainSeparator.ts'
export { domainSeparator } from './domainSeparator.ts'
export { eip3009Abi } from './eip3009Abi.ts'
export { RpcUnavailableError } from './errors.ts'
export type { HasTransferLogParameters, RawLog } from './hasTransferLog.ts'
export { hasTransferLog } from './hasTransferLog.ts'
export { keccak256Bytes } from './keccak256Bytes.ts'
export type { RecoverAddress } from './recoverAddress.ts'
export { jsRecoverAddress } from './recoverAddress.ts'
export type { ScreenAnswers, ScreenHook, ScreenVerdict } from './screenHook.ts'
export type { SettlementFields } from './simulateSettlement.ts'
export type { ExactAuthorization } from './toExactAuthorization.ts'
export { toExactAuthorization } from './toExactAuthorization.ts'
export { transferWithAuthorizationData } from './transferWithAuthorizationData.ts'
export { transferWithAuthorizationTypeHash, transferWithAuthorizationTypes } from './transferWithAuthorizationTypes.ts'
