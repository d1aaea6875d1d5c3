import { hostname } from 'node:os'
import type { RecoverAddress } from '@tollgate/evm'
import { createReceiptSigner, type Facilitator, type Store, systemNow } from '@tollgate/facilitator'
import type { DestinationStream } from 'pino'
import { type Address, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Env } from './config/options.ts'
import { type Config, parseConfig } from './config/parseConfig.ts'
import type { ResourceCatalogue } from './discovery/catalogue.ts'
import { createServiceFacilitator, createServiceRecovery } from './engine/createServiceFacilitator.ts'
import { createNativeRecover } from './engine/nativeRecover.ts'
import type { ApiKeyStore } from './http/apiKeys.ts'
import { type CreateAppOptions, createApp, createOpsApp } from './http/app.ts'
import { createAuthenticate } from './http/auth.ts'
import { nodeBodyLimit } from './http/nodeBodyLimit.ts'
import { openRateLimit } from './http/openRateLimit.ts'
import { readJwks } from './http/readJwks.ts'
import { countingErrors } from './ops/countingErrors.ts'
import { startWithClosers } from './ops/createCloserStack.ts'
import { createReadyProbe } from './ops/createReadyProbe.ts'
import { drain } from './ops/drain.ts'
import { createLogger, type Logger } from './ops/logger.ts'
import { logSettlementCosts } from './ops/logSettlementCosts.ts'
import { createMetrics, type Metrics } from './ops/metrics.ts'
import { closeServer, listen, urlOf } from './ops/nodeServer.ts'
import { loadReceiptKeys } from './receipts/receiptKeys.ts'
import { createServiceScreening } from './sanctions/createServiceScreening.ts'
import { openStorage } from './storage/openStorage.ts'

export type StartFacilitatorOptions = {
  /** Default: PostgreSQL at `config.databaseUrl` when set, else SQLite under `config.dataDir`. Used as is, never closed here. */
  store?: Store
  /** This node's id in a shared ledger (signer leases). Default: host and port (port 0: host, pid and a random suffix). */
  nodeId?: string
  /** Default: native libsecp256k1 ({@link createNativeRecover}). */
  recover?: RecoverAddress
  /** Seconds since the epoch. Default: the system clock. */
  now?: () => bigint
  /** Where unexpected request errors go. Default: the logger, at level error. */
  logError?: (error: unknown) => void
  /** The API keys. Default: beside the ledger (PostgreSQL at `config.databaseUrl`, else SQLite in `config.dataDir`); none with `TOLLGATE_AUTH=off`. Used as is, never closed here. */
  apiKeys?: ApiKeyStore
  /**
   * The discovery catalogue (`GET /discovery/resources`). Default: beside the ledger (PostgreSQL at
   * `config.databaseUrl`, else SQLite in `config.dataDir`), in memory when `store` is given; none
   * with `TOLLGATE_DISCOVERY=off`. Used as is, never closed here.
   */
  catalogue?: ResourceCatalogue
  /** Structured JSON logs. Default: pino on stdout at `config.logLevel`, secrets redacted. */
  logger?: Logger
  /** Where the default logger writes (tests capture it). Default: stdout. */
  logDestination?: DestinationStream
  /**
   * Who may read `/metrics` and `/ready` details on the main port. Default: the `admin` scope of
   * the caller set by the auth middleware (see `hasAdminScope`).
   */
  requireAdmin?: CreateAppOptions['requireAdmin']
}

export type RunningFacilitator = {
  /** `http://<host>:<port>`, with the port actually bound (useful with port 0). */
  url: string
  port: number
  /** The settlement signer's address (the key itself is never exposed). */
  signer: Address
  facilitator: Facilitator
  /** `http://<host>:<port>` of the metrics listener (`TOLLGATE_METRICS_PORT`), when on. */
  metricsUrl: string | undefined
  metrics: Metrics
  logger: Logger
  /** Reads the OFAC list again (SIGHUP); nothing without one. */
  reloadSanctions(): void
  /**
   * Stops listening, closes open connections, stops the reconciler and receipt polling, and closes
   * what the start opened, last opened first (never a store the caller passed in).
   */
  stop(): Promise<void>
  /**
   * Graceful shutdown (SIGTERM): new `/verify`, `/settle` and `/release` answer 503
   * `facilitator_unavailable` (retryable) with `Retry-After`; requests being served and settlements
   * in flight finish, up to `config.shutdownTimeoutMs`; then {@link stop}. A settlement still
   * unmined at the end is journaled (`submitted` with its signed transaction), so the next start
   * of this node, or another node's reconciler, finishes it. `drained`: nothing was left running.
   */
  shutdown(): Promise<{ drained: boolean }>
}

const isConfig = (input: Config | Env): input is Config => Array.isArray((input as Config).networks)

/**
 * Starts the facilitator service in this process: parses the configuration (a {@link Config}, or
 * an environment such as `process.env`), opens the storage, builds the facilitator and the app, and
 * serves it with `@hono/node-server` on `config.host:config.port` (port 0 picks a free one).
 * Everything opened here is deferred on one stack of closers, unwound last opened first on a start
 * that fails part way and on stop; what the caller passed in is never closed here.
 *
 * @example
 * import { startFacilitator } from './startFacilitator.ts'
 * const running = await startFacilitator({ TOLLGATE_PORT: '0', TOLLGATE_SIGNER_KEY: key, TOLLGATE_RPC_URL_8453: rpc })
 * await fetch(`${running.url}/supported`)
 * await running.stop()
 */
export async function startFacilitator(
  input: Config | Env,
  { store, apiKeys, catalogue, recover, now, nodeId, requireAdmin, ...options }: StartFacilitatorOptions = {},
): Promise<RunningFacilitator> {
  const config = isConfig(input) ? input : parseConfig(input)
  const logger =
    options.logger ??
    createLogger({
      level: config.logLevel,
      secrets: secretsOf(config),
      ...(options.logDestination ? { destination: options.logDestination } : {}),
    })
  const logError = options.logError ?? ((error: unknown) => logger.error({ err: error }, 'unexpected error'))
  const metrics = createMetrics({ now: now ?? systemNow })
  const transport = (rpcUrl: string, options: Parameters<typeof http>[1]) =>
    countingErrors(http(rpcUrl, options), (method) => metrics.rpcError(method))
  return await startWithClosers(async (closers) => {
    // Auth (on unless TOLLGATE_AUTH=off): API keys beside the ledger, JWTs against the JWKS file.
    const jwtKeys = config.auth.mode === 'on' && config.auth.jwksFile ? await readJwks(config.auth.jwksFile) : []
    // Also for a Config built by hand: a JWT's uris are checked against the configured host, never Host.
    if (jwtKeys.length > 0 && !config.auth.jwtHost) {
      throw new Error('Invalid configuration: TOLLGATE_AUTH_JWT_HOST: is required with TOLLGATE_AUTH_JWKS_FILE')
    }
    const storage = await openStorage(closers, { config, store, apiKeys, catalogue })
    const authenticate =
      config.auth.mode === 'on'
        ? createAuthenticate({
            ...(storage.keys ? { keys: storage.keys } : {}),
            jwtKeys,
            ...(config.auth.jwtHost ? { jwtHost: config.auth.jwtHost } : {}),
            cacheMs: config.auth.keyCacheMs,
            ...(now ? { now } : {}),
          })
        : undefined
    // Receipts: keys from TOLLGATE_RECEIPT_KEYS_FILE, else generated into the data folder.
    const receipts = config.receipts
      ? await createReceiptSigner(
          await loadReceiptKeys(
            { keysFile: config.receipts.keysFile, dataDir: config.dataDir },
            config.receipts.algorithm,
          ),
          config.receipts.didWebOrigin ? { didWebOrigin: config.receipts.didWebOrigin } : {},
        )
      : undefined
    // Sanctions screening, on unless TOLLGATE_SCREENING=off: its lists loaded before serving; decisions audited.
    const screening = config.screening
      ? await createServiceScreening(config.screening, {
          store: storage.ledger,
          pool: storage.pool,
          databaseSchema: config.databaseSchema,
          networks: config.networks,
          logger,
          metrics,
          now: now ?? systemNow,
          closers,
        })
      : undefined
    if (!screening) logger.warn({ screening: 'off' }, 'sanctions screening is off (TOLLGATE_SCREENING=off)')
    const deps = { metrics, logger, logError, transport, now }
    const facilitator = createServiceFacilitator(
      { ...deps, store: storage.ledger, recover: recover ?? createNativeRecover() },
      {
        config,
        // Unset: the host and port, so that a restart in place takes its signer leases (and its rows
        // left settling) at once; on a port picked at random, the process id and a random suffix.
        owner:
          nodeId ??
          config.nodeId ??
          (config.port === 0
            ? `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`
            : `${hostname()}:${config.port}`),
        // A ledger shared by several nodes (PostgreSQL): each signer key is used by one node at a time.
        leased: Boolean(config.databaseUrl || nodeId || config.nodeId),
        receipts,
        screening: screening?.screening,
      },
    )
    closers.defer(() => facilitator.stop())
    const rateLimit = await openRateLimit(closers, { config, pool: storage.pool })
    metrics.watch(facilitator)
    void logSettlementCosts(facilitator, {
      logger,
      ethUsd: config.gasPolicy?.ethPrice ?? '4000',
      gasPolicy: config.gasPolicy && { ...config.gasPolicy, maxBatchedShare: config.maxBatchedGasShare },
      ...(storage.catalogue ? { catalogue: storage.catalogue } : {}),
    })
    let draining = false
    const ready = createReadyProbe(facilitator, () => ({
      minBalance: config.readyMinBalance,
      draining,
      screening:
        screening?.status ?? (() => ({ ok: true, detail: 'off (TOLLGATE_SCREENING=off): nothing is screened' })),
    }))
    const app = createApp(facilitator, {
      bodyLimit: nodeBodyLimit,
      logError,
      logger,
      metrics,
      ready,
      draining: () => draining,
      ...(requireAdmin ? { requireAdmin } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      ...(authenticate ? { authenticate } : {}),
      ...(storage.catalogue && config.discovery
        ? { discovery: { catalogue: storage.catalogue, optOut: config.discovery.optOut, ...(now ? { now } : {}) } }
        : {}),
    })
    // Settlements an earlier process left unmined (journaled) are taken over before anything new is
    // signed; the reconciler then runs now and every interval.
    const recovery = createServiceRecovery({ ...deps, facilitator }, { config })
    closers.defer(() => recovery.stop())
    await recovery.start()
    // Requests being served, so that shutdown waits for them.
    let active = 0
    const server = await listen(
      async (request, env) => {
        active++
        try {
          return await app.fetch(request, env)
        } finally {
          active--
        }
      },
      config.host,
      config.port,
    )
    closers.defer(() => closeServer(server))
    const opsServer = config.metrics
      ? await listen(createOpsApp(facilitator, { metrics, ready }).fetch, config.metrics.host, config.metrics.port)
      : undefined
    if (opsServer) closers.defer(() => closeServer(opsServer))
    const stop = () => {
      draining = true
      return closers.unwind()
    }
    let shuttingDown: Promise<{ drained: boolean }> | undefined
    return {
      ...urlOf(config.host, server),
      metricsUrl: opsServer && config.metrics ? urlOf(config.metrics.host, opsServer).url : undefined,
      metrics,
      logger,
      signer: privateKeyToAccount(config.signerKey).address,
      facilitator,
      reloadSanctions: () => {
        screening?.reload()
      },
      stop,
      shutdown() {
        draining = true
        shuttingDown ??= drain(logger, {
          server,
          timeoutMs: config.shutdownTimeoutMs,
          work: () => {
            const { settling, unmined } = facilitator.inProgress()
            return { active, inflight: settling, unmined }
          },
        }).then(async (drained) => {
          await stop()
          return drained
        })
        return shuttingDown
      },
    }
  })
}

/** What the logs never show: the keys, the RPC URLs (they can hold API keys), the database URL. */
const secretsOf = (config: Config) => [
  config.signerKey,
  ...config.signerKeys,
  ...config.networks.map(({ rpcUrl }) => rpcUrl),
  ...(config.databaseUrl ? [config.databaseUrl] : []),
]
