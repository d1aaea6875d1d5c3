import type { RecoverAddress } from '@tollgate/evm'
import {
  createFacilitator,
  createRecovery,
  type Facilitator,
  type Now,
  type ReceiptSigner,
  type Recovery,
  type Screening,
  type Store,
} from '@tollgate/facilitator'
import { createPublicClient, type http, type Transport } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Config } from '../config/parseConfig.ts'
import type { Logger } from '../ops/logger.ts'
import type { Metrics } from '../ops/metrics.ts'

/** What {@link createServiceFacilitator} is built over. */
export type ServiceFacilitatorDeps = {
  store: Store
  recover: RecoverAddress
  metrics: Metrics
  logger: Logger
  logError: (error: unknown) => void
  /** Builds the transport of one RPC URL (the service's counts the failed requests). */
  transport: (rpcUrl: string, options: Parameters<typeof http>[1]) => Transport
  now?: Now | undefined
}

/** What {@link createServiceFacilitator} builds from. */
export type ServiceFacilitatorParameters = {
  config: Config
  /** This node's id in a shared ledger; with it (or PostgreSQL) signer keys are leased. */
  owner: string
  leased: boolean
  receipts?: ReceiptSigner | undefined
  screening?: Screening | undefined
}

/**
 * The facilitator of the service's configuration: per network a public client (JSON-RPC batching
 * on), the settlement signers (leased in the ledger when it is shared), and the engine's options
 * from the configuration, with every settlement transaction's size observed by the metrics.
 */
export function createServiceFacilitator(
  { store, recover, metrics, logger, logError, transport, now }: ServiceFacilitatorDeps,
  { config, owner, leased, receipts, screening }: ServiceFacilitatorParameters,
): Facilitator {
  const account = privateKeyToAccount(config.signerKey)
  const accounts = config.signerKeys.map((key) => privateKeyToAccount(key))
  return createFacilitator(
    {
      store,
      networks: config.networks.map(({ network, rpcUrl }) => ({
        network,
        account,
        accounts,
        client: createPublicClient({
          transport: transport(rpcUrl, { batch: { batchSize: 200 }, retryCount: 1, timeout: 15_000 }),
        }),
        // Unbatched: a JSON-RPC batch is answered with its slowest call, and a sync send waits for a block.
        ...(config.sendSync.mode === 'off'
          ? {}
          : { syncClient: createPublicClient({ transport: transport(rpcUrl, { retryCount: 0, timeout: 15_000 }) }) }),
      })),
    },
    {
      recover,
      eip6492Factories: config.eip6492Factories,
      receiptTimeoutMs: config.receiptTimeoutMs,
      pollingIntervalMs: config.pollingIntervalMs,
      sendSync: config.sendSync,
      receiptBlockTag: config.receiptBlockTag,
      reservationSeconds: BigInt(config.reservationSeconds),
      ...(config.gasPolicy
        ? {
            gasPolicy: {
              ...config.gasPolicy,
              maxBatchedShare: config.maxBatchedGasShare,
              maxLossPerHour: config.maxGasLossPerHour,
            },
            onSettlementLoss: (loss) => {
              metrics.settlementLoss(loss)
              logger.warn(
                {
                  network: loss.network,
                  payments: loss.payments,
                  cost: String(loss.cost),
                  value: String(loss.value),
                  loss: String(loss.loss),
                },
                'a settlement batch cost more gas than its payments brought in (usdc atomic units)',
              )
            },
          }
        : {}),
      // Always given, so that every settlement transaction's size is observed; `maxSize` 1 is off.
      batch: { ...(config.batch ?? { maxSize: 1, maxWaitMs: 0 }), onSend: (size) => metrics.batch(size) },
      replaceAfterMs: config.replaceAfterMs,
      ...(leased ? { signerLeases: { owner, leaseSeconds: config.signerLeaseSeconds } } : {}),
      fees: { maxFeePerGas: config.maxFeePerGas, maxPriorityFeePerGas: config.maxPriorityFeePerGas },
      ...(now ? { now } : {}),
      optimistic: config.optimistic,
      minAmount: config.minAmount,
      minAmounts: config.minAmounts,
      coolOffSeconds: BigInt(config.coolOffSeconds),
      maxInFlightPerPayer: config.maxInFlightPerPayer,
      payerQueue: { maxWaitMs: config.payerQueueWaitMs },
      logError,
      ...(receipts ? { receipts } : {}),
      ...(screening ? { screening } : {}),
    },
  )
}

/**
 * The recovery of the service's facilitator: finishes rows a crash (or a lost RPC answer) left
 * non-final, at start and every `config.reconcileIntervalMs`, each reconciler pass reported to the
 * metrics and (when something changed) the log.
 */
export function createServiceRecovery(
  {
    facilitator,
    metrics,
    logger,
    logError,
    transport,
    now,
  }: Omit<ServiceFacilitatorDeps, 'store' | 'recover'> & {
    facilitator: Facilitator
  },
  { config }: { config: Config },
): Recovery {
  return createRecovery(facilitator, {
    clients: new Map(
      config.networks.map(({ chainId, rpcUrl }) => [
        chainId,
        createPublicClient({ transport: transport(rpcUrl, { retryCount: 1, timeout: 15_000 }) }),
      ]),
    ),
    ...(now ? { now } : {}),
    intervalMs: config.reconcileIntervalMs,
    staleSeconds: BigInt(config.reconcileStaleSeconds),
    onReport: (report) => {
      metrics.reconciled(report)
      const { examined, pending, ...changed } = report
      if (Object.values(changed).some((n) => n > 0)) logger.info({ reconciled: changed }, 'reconciled')
    },
    onError: logError,
  })
}
