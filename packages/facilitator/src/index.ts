export type { AuthorizationIdParameters } from './authorizationId.ts'
export { authorizationId } from './authorizationId.ts'
export { redactUrls } from './callerMessage.ts'
export type { Clock, Now } from './clock.ts'
export { systemClock, systemNow } from './clock.ts'
export type { BatchOptions } from './createBatchQueue.ts'
export type {
  CreateFacilitatorDeps,
  CreateFacilitatorOptions,
  Facilitator,
  FacilitatorNetwork,
  FacilitatorNetworkConfig,
} from './createFacilitator.ts'
export { createFacilitator } from './createFacilitator.ts'
export type { CreateFeeOracleOptions } from './createFeeOracle.ts'
export type { CreateGasPolicyOptions, GasPolicy, GasPolicyParameters, GasPolicyResult } from './createGasPolicy.ts'
export { createMemoryStore } from './createMemoryStore.ts'
export type {
  CreateReceiptSignerOptions,
  ReceiptAlgorithm,
  ReceiptDidDocument,
  ReceiptJwks,
  ReceiptKey,
  ReceiptSigner,
} from './createReceiptSigner.ts'
export {
  createReceiptSigner,
  didWebOf,
  generateReceiptKey,
  parseReceiptKeys,
  publicReceiptKey,
  rotateReceiptKeys,
} from './createReceiptSigner.ts'
export type { SettlementReceipt } from './createReceiptWatcher.ts'
export type {
  CreateReconcilerDeps,
  CreateReconcilerOptions,
  ReconcileReport,
  Reconciler,
  ReconcilerChain,
} from './createReconciler.ts'
export { createReconciler } from './createReconciler.ts'
export type { CreateRecoveryOptions, Recovery } from './createRecovery.ts'
export { createRecovery } from './createRecovery.ts'
export type { SettlementQuote, SignerPool, SignerStatus } from './createSignerPool.ts'
export type { ReceiptLookup, ReceiptState } from './issueReceipt.ts'
export { attachReceipt, issuePendingReceipt, lookupReceipt, receiptClaims, receiptStateOf } from './issueReceipt.ts'
export type { NewReceiptRecord, ReceiptRecord, ReceiptSignature } from './receiptRecord.ts'
export { newReceiptId, receiptIdPattern } from './receiptRecord.ts'
export type { ReleaseReply, ReleaseResponse } from './release.ts'
export { release, releaseExtension } from './release.ts'
export { resettle } from './resettle.ts'
export type { Sha256Hex } from './screening/auditHash.ts'
export { auditHash, genesisHash, jsSha256Hex } from './screening/auditHash.ts'
export type { AppendAuditResult, AuditHead, AuditRecord, AuditStore } from './screening/auditStore.ts'
export type { AuditLog } from './screening/createAuditLog.ts'
export { createAuditLog } from './screening/createAuditLog.ts'
export { createDenyListProvider } from './screening/createDenyListProvider.ts'
export { createOfacProvider } from './screening/createOfacProvider.ts'
export { createOracleProvider } from './screening/createOracleProvider.ts'
export type { CreateScreeningOptions, Screening } from './screening/createScreening.ts'
export { createScreening } from './screening/createScreening.ts'
export { createUsdcBlacklistProvider } from './screening/createUsdcBlacklistProvider.ts'
export type { DecideScreeningParameters, ScreeningDecision } from './screening/decideScreening.ts'
export { decideScreening } from './screening/decideScreening.ts'
export { readAuditChain } from './screening/readAuditChain.ts'
export type {
  ParseSanctionsArtifactResult,
  SanctionsArtifact,
  SanctionsList,
} from './screening/sanctionsArtifact.ts'
export {
  parseSanctionsArtifact,
  sanctionsArtifactFormat,
  sanctionsArtifactSchema,
} from './screening/sanctionsArtifact.ts'
export type {
  ProviderAnswers,
  ProviderOutcome,
  ProviderReport,
  ScreenContext,
  ScreeningProvider,
  ScreeningRole,
} from './screening/types.ts'
export type { VerifyAuditChainResult } from './screening/verifyAuditChain.ts'
export { verifyAuditChain } from './screening/verifyAuditChain.ts'
export type { SettleReply } from './settle.ts'
export { settle } from './settle.ts'
export { defaultSettlementGas, type SettlementGas } from './settlementCall.ts'
export type { SignerLeases } from './signerLeaseTypes.ts'
export type {
  AcquireSignerParameters,
  ClaimParameters,
  LedgerEntry,
  LedgerPatch,
  LedgerState,
  ListParameters,
  NewLedgerEntry,
  ReleaseSignerParameters,
  ReserveResult,
  SignerFence,
  SignerLease,
  Store,
  StoredTransaction,
  TransitionParameters,
  TransitionResult,
} from './store.ts'
export { supported } from './supported.ts'
export type { VerifyReply } from './verify.ts'
export { verify } from './verify.ts'
