export type { Clock, Now } from '@tollgate/protocol'
export { systemClock, systemNow } from '@tollgate/protocol'
export type {
  CreateFacilitatorDeps,
  CreateFacilitatorOptions,
  Facilitator,
  FacilitatorNetwork,
  FacilitatorNetworkConfig,
} from './createFacilitator.ts'
export { createFacilitator } from './createFacilitator.ts'
export type { BatchOptions } from './engine/createBatchQueue.ts'
export type { CreateFeeOracleOptions } from './engine/createFeeOracle.ts'
export type { SettlementReceipt } from './engine/createReceiptWatcher.ts'
export type { SendSyncMode, SendSyncOptions } from './engine/sendSync.ts'
export { defaultSettlementGas, type SettlementGas } from './engine/settlementCall.ts'
export type {
  CreateGasPolicyOptions,
  GasPolicy,
  GasPolicyParameters,
  GasPolicyResult,
} from './policy/createGasPolicy.ts'
export { judgePrice, type PriceEconomics, readSettlementCost } from './policy/judgePrice.ts'
export type { SettlementLoss } from './policy/judgeSettlementCost.ts'
export { readSettlementGasSpent, type SettlementGasSpent } from './policy/settlementGasSpent.ts'
export { gasUsedPerPayment, settlementGasUsed } from './policy/settlementGasUsed.ts'
export type {
  CreateReceiptSignerOptions,
  ReceiptAlgorithm,
  ReceiptDidDocument,
  ReceiptJwks,
  ReceiptKey,
  ReceiptSigner,
} from './receipts/createReceiptSigner.ts'
export {
  createReceiptSigner,
  didWebOf,
  generateReceiptKey,
  parseReceiptKeys,
  publicReceiptKey,
  rotateReceiptKeys,
} from './receipts/createReceiptSigner.ts'
export type { ReceiptLookup, ReceiptState } from './receipts/issueReceipt.ts'
export {
  attachReceipt,
  issuePendingReceipt,
  lookupReceipt,
  receiptClaims,
  receiptStateOf,
} from './receipts/issueReceipt.ts'
export type { NewReceiptRecord, ReceiptRecord, ReceiptSignature } from './receipts/receiptRecord.ts'
export { newReceiptId, receiptIdPattern } from './receipts/receiptRecord.ts'
export type {
  CreateReconcilerDeps,
  CreateReconcilerOptions,
  ReconcileReport,
  Reconciler,
  ReconcilerChain,
} from './recovery/createReconciler.ts'
export { createReconciler } from './recovery/createReconciler.ts'
export type { CreateRecoveryOptions, Recovery } from './recovery/createRecovery.ts'
export { createRecovery } from './recovery/createRecovery.ts'
export { resettle } from './recovery/resettle.ts'
export type { ReleaseReply, ReleaseResponse } from './release.ts'
export { release, releaseExtension } from './release.ts'
export type { AuthorizationIdParameters } from './request/authorizationId.ts'
export { authorizationId } from './request/authorizationId.ts'
export { redactUrls } from './request/callerMessage.ts'
export type { Sha256Hex } from './screening/auditHash.ts'
export { auditHash, genesisHash, jsSha256Hex } from './screening/auditHash.ts'
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
export type { SettlementQuote, SignerPool, SignerStatus } from './signers/createSignerPool.ts'
export type { SignerLeases } from './signers/signerLeaseTypes.ts'
export type { SignerLeaseOptions } from './signers/storeSignerLeases.ts'
export type { AppendAuditResult, AuditHead, AuditRecord, AuditStore } from './store/auditStore.ts'
export { createMemoryStore } from './store/createMemoryStore.ts'
export type {
  Exposure,
  ExposureScope,
  ExposureStore,
  OptimisticDeliveryParameters,
  OptimisticDeliveryResult,
  OptimisticLimits,
  OptimisticRefusal,
} from './store/exposureStore.ts'
export type {
  AcquireSignerParameters,
  LeaseStore,
  ReleaseSignerParameters,
  SignerFence,
  SignerLease,
} from './store/leaseStore.ts'
export type {
  ClaimParameters,
  LedgerEntry,
  LedgerPatch,
  LedgerState,
  LedgerStore,
  ListParameters,
  NewLedgerEntry,
  ReserveResult,
  TransitionParameters,
  TransitionResult,
} from './store/ledgerStore.ts'
export type { ReceiptStore } from './store/receiptStore.ts'
export type { Store } from './store/store.ts'
export type { StoredTransaction, TransactionStore } from './store/transactionStore.ts'
export { supported } from './supported.ts'
export type { VerifyReply } from './verify.ts'
export { verify } from './verify.ts'
