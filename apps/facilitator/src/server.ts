import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { serve } from '@hono/node-server'
import type { RecoverAddress } from '@tollgate/evm'
import {
  createFacilitator,
  createReceiptSigner,
  createRecovery,
  type Facilitator,
  type ReceiptSigner,
  type SignerLeases,
  type Store,
  systemClock,
  systemNow,
} from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import { Redis } from 'ioredis'
import pg from 'pg'
import type { DestinationStream } from 'pino'
import { type Address, createPublicClient, http, type Transport } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ApiKeyStore } from './apiKeys.ts'
import { type CreateAppOptions, createApp, createOpsApp } from './app.ts'
import { type Authenticate, createAuthenticate, parseJwtKeys } from './auth.ts'
import { createMemoryCatalogue, type ResourceCatalogue } from './catalogue.ts'
import { createPostgresCatalogue } from './cataloguePostgres.ts'
import { createSqliteCatalogue } from './catalogueSqlite.ts'
import { type Config, type Env, parseConfig } from './config.ts'
import { openApiKeyStore } from './keys.ts'
import { createLogger, type Logger } from './logger.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { createNativeRecover } from './nativeRecover.ts'
import { createRateLimit, type RateLimit, type RateLimitStore } from './rateLimit.ts'
import { checkReady } from './ready.ts'
import { loadReceiptKeys } from './receiptKeys.ts'
import { createServiceScreening, type ServiceScreening } from './sanctions/createServiceScreening.ts'

// ---- operations helpers ----
/** A viem transport that counts its failed requests by JSON-RPC method (after its own retries). */
function countingErrors(transport: Transport, onError: (method: string) => void): Transport {
  return ((parameters: Parameters<Transport>[0]) => {
    const built = transport(parameters)
    const request: typeof built.request = async (args, options) => {
      try {
        return await built.request(args, options)
      } catch (error) {
        onError(typeof args.method === 'string' ? args.method : 'unknown')
        throw error
      }
    }
    return { ...built, request }
  }) as Transport
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type NodeServer = ReturnType<typeof serve>

function listen(fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<NodeServer> {
  return new Promise<NodeServer>((resolve, reject) => {
    const listening = serve({ fetch, hostname, port }, () => resolve(listening))
    listening.once('error', reject)
  })
}

function closeServer(server: NodeServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve())
    if ('closeAllConnections' in server) server.closeAllConnections()
  })
}

const openConnections = (server: NodeServer) =>
  new Promise<number>((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)))

const urlOf = (hostname: string, server: NodeServer) => {
  const { port } = server.address() as AddressInfo
  return { url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`, port }
}
// ---- end operations helpers ----

export type StartFacilitatorOptions = {
  /** Default: PostgreSQL at `config.databaseUrl` when set, else SQLite under `config.dataDir`. */
  store?: Store
  /** This node's id in a shared ledger (signer leases). Default: host, pid and a random suffix. */
  nodeId?: string
  /** Default: native libsecp256k1 ({@link createNativeRecover}). */
  recover?: RecoverAddress
  /** Seconds since the epoch. Default: the system clock. */
  now?: () => bigint
  /** Where unexpected request errors go. Default: the logger, at level error. */
  logError?: (error: unknown) => void
  /** The API keys. Default: beside the ledger (PostgreSQL at `config.databaseUrl`, else SQLite in `config.dataDir`); none with `TOLLGATE_AUTH=off`. Closed on stop. */
  apiKeys?: ApiKeyStore
  /**
   * The discovery catalogue (`GET /discovery/resources`). Default: beside the ledger (PostgreSQL at
   * `config.databaseUrl`, else SQLite in `config.dataDir`), in memory when `store` is given; none
   * with `TOLLGATE_DISCOVERY=off`. Closed on stop.
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
  /** Reads the sanctions list file again (SIGHUP); `undefined` with screening off. */
  reloadSanctions(): void
  /** Stops listening, closes open connections, stops receipt polling and closes the ledger. */
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
 * an environment such as `process.env`), builds the viem clients (JSON-RPC batching on), the signer,
 * the SQLite ledger and the native recovery, and serves the app with `@hono/node-server` on
 * `config.host:config.port` (port 0 picks a free one).
 *
 * @example
 * import { startFacilitator } from './server.ts'
 * const running = await startFacilitator({ TOLLGATE_PORT: '0', TOLLGATE_SIGNER_KEY: key, TOLLGATE_RPC_URL_8453: rpc })
 * await fetch(`${running.url}/supported`)
 * await running.stop()
 */
export async function startFacilitator(
  input: Config | Env,
  {
    store,
    recover,
    now,
    logError: logErrorOption,
    nodeId,
    logger: loggerOption,
    logDestination,
    requireAdmin,
    apiKeys,
    catalogue,
  }: StartFacilitatorOptions = {},
): Promise<RunningFacilitator> {
  const config = isConfig(input) ? input : parseConfig(input)
  // ---- operations: logs and metrics ----
  const logger =
    loggerOption ??
    createLogger({
      level: config.logLevel,
      secrets: [
        config.signerKey,
        ...config.signerKeys,
        ...config.networks.map(({ rpcUrl }) => rpcUrl),
        ...(config.databaseUrl ? [config.databaseUrl] : []),
      ],
      ...(logDestination ? { destination: logDestination } : {}),
    })
  const logError = logErrorOption ?? ((error: unknown) => logger.error({ err: error }, 'unexpected error'))
  const metrics = createMetrics({ now: now ?? systemNow })
  const transport = (rpcUrl: string, options: Parameters<typeof http>[1]) =>
    countingErrors(http(rpcUrl, options), (method) => metrics.rpcError(method))
  // ---- end operations ----
  // Auth (on unless TOLLGATE_AUTH=off): API keys beside the ledger, JWTs against the JWKS file.
  const jwtKeys = config.auth.mode === 'on' && config.auth.jwksFile ? await readJwks(config.auth.jwksFile) : []
  // Also for a Config built by hand: a JWT's uris are checked against the configured host, never Host.
  if (jwtKeys.length > 0 && !config.auth.jwtHost) {
    throw new Error('Invalid configuration: TOLLGATE_AUTH_JWT_HOST: is required with TOLLGATE_AUTH_JWKS_FILE')
  }
  const ledger =
    store ??
    (config.databaseUrl
      ? await createPostgresStore({ connectionString: config.databaseUrl, schema: config.databaseSchema })
      : createSqliteStore({ dataDir: config.dataDir }))
  let keys: ApiKeyStore | undefined
  let resources: ResourceCatalogue | undefined
  try {
    keys = config.auth.mode === 'on' ? (apiKeys ?? (await openApiKeyStore(config))) : undefined
    resources = config.discovery
      ? (catalogue ??
        (store
          ? createMemoryCatalogue()
          : config.databaseUrl
            ? await createPostgresCatalogue({ connectionString: config.databaseUrl, schema: config.databaseSchema })
            : createSqliteCatalogue({ dataDir: config.dataDir })))
      : undefined
  } catch (error) {
    await keys?.close()
    if (!store) await ledger.close()
    throw error
  }
  const authenticate: Authenticate | undefined =
    config.auth.mode === 'on'
      ? createAuthenticate({
          ...(keys ? { keys } : {}),
          jwtKeys,
          ...(config.auth.jwtHost ? { jwtHost: config.auth.jwtHost } : {}),
          cacheMs: config.auth.keyCacheMs,
          ...(now ? { now } : {}),
        })
      : undefined
  // A ledger shared by several nodes (PostgreSQL): each signer key is used by one node at a time.
  // Fenced and short: the pool renews the lease every quarter of it and signs only while it surely
  // holds (less 1 s for the ledger clock's granularity and 250 ms of skew between nodes); every
  // journal write before a broadcast carries the lease's epoch.
  const owner = nodeId ?? config.nodeId ?? `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  const clock = now ?? systemNow
  const leaseSeconds = BigInt(config.signerLeaseSeconds)
  const leases: SignerLeases | undefined =
    config.databaseUrl || nodeId || config.nodeId
      ? {
          owner,
          validMs: (config.signerLeaseSeconds - 1) * 1000 - 250,
          heartbeatMs: (config.signerLeaseSeconds * 1000) / 4,
          acquire: async (signer: Address, epoch: bigint | undefined) =>
            (
              await ledger.acquireSigner({
                signer,
                owner,
                leaseSeconds,
                now: clock(),
                ...(epoch === undefined ? {} : { epoch }),
              })
            )?.epoch,
          release: (signer: Address, epoch: bigint) => ledger.releaseSigner({ signer, owner, epoch }),
        }
      : undefined
  const account = privateKeyToAccount(config.signerKey)
  const accounts = config.signerKeys.map((key) => privateKeyToAccount(key))
  // Receipts (issue 13): keys from TOLLGATE_RECEIPT_KEYS_FILE, else generated into the data folder.
  // Sanctions screening (issue 12): the list loaded (and watched) before serving; decisions audited in the ledger.
  let receipts: ReceiptSigner | undefined
  let screening: ServiceScreening | undefined
  try {
    receipts = config.receipts
      ? await createReceiptSigner(
          await loadReceiptKeys(
            { keysFile: config.receipts.keysFile, dataDir: config.dataDir },
            config.receipts.algorithm,
          ),
          config.receipts.didWebOrigin ? { didWebOrigin: config.receipts.didWebOrigin } : {},
        )
      : undefined
    screening = config.screening
      ? createServiceScreening(config.screening, { store: ledger, logger, metrics, now: clock })
      : undefined
  } catch (error) {
    await keys?.close()
    await resources?.close()
    if (!store) await ledger.close()
    throw error
  }
  const facilitator = createFacilitator(
    {
      store: ledger,
      networks: config.networks.map(({ network, rpcUrl }) => ({
        network,
        account,
        accounts,
        ...(leases ? { leases } : {}),
        client: createPublicClient({
          transport: transport(rpcUrl, { batch: { batchSize: 200 }, retryCount: 1, timeout: 15_000 }),
        }),
      })),
    },
    {
      recover: recover ?? createNativeRecover(),
      eip6492Factories: config.eip6492Factories,
      receiptTimeoutMs: config.receiptTimeoutMs,
      pollingIntervalMs: config.pollingIntervalMs,
      reservationSeconds: BigInt(config.reservationSeconds),
      ...(config.gasPolicy ? { gasPolicy: config.gasPolicy } : {}),
      // Always given, so that every settlement transaction's size is observed; `maxSize` 1 is off.
      batch: { ...(config.batch ?? { maxSize: 1, maxWaitMs: 0 }), onSend: (size) => metrics.batch(size) },
      replaceAfterMs: config.replaceAfterMs,
      fees: { maxFeePerGas: config.maxFeePerGas },
      ...(now ? { now } : {}),
      // --- abuse limits (issue 9, item 2) ---
      minAmount: config.minAmount,
      minAmounts: config.minAmounts,
      coolOffSeconds: BigInt(config.coolOffSeconds),
      maxInFlightPerPayer: config.maxInFlightPerPayer,
      // --- end abuse limits ---
      logError,
      ...(receipts ? { receipts } : {}),
      ...(screening ? { screening: screening.screening } : {}),
    },
  )
  // --- rate limits (issue 9, item 3) ---
  // Counters shared by the nodes: Redis when configured, else the ledger's PostgreSQL, else memory.
  let limiterStore: RateLimitStore = { kind: 'memory' }
  let closeLimiterStore: () => Promise<void> = async () => undefined
  let rateLimit: RateLimit | undefined
  const { rateLimit: limits } = config
  if (limits.perAddress > 0 || limits.perKey > 0) {
    try {
      if (limits.store === 'redis' && limits.redisUrl) {
        const client = new Redis(limits.redisUrl, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 5_000,
        })
        // A Redis that cannot be reached at start is an error; one lost later falls back to memory.
        client.on('error', () => undefined)
        await client.connect()
        limiterStore = { kind: 'redis', client }
        closeLimiterStore = async () => {
          await client.quit().catch(() => client.disconnect())
        }
      } else if (limits.store === 'postgres' && config.databaseUrl) {
        const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4, connectionTimeoutMillis: 5_000 })
        pool.on('error', () => undefined)
        limiterStore = { kind: 'postgres', pool, schema: config.databaseSchema }
        closeLimiterStore = () => pool.end()
      }
      rateLimit = await createRateLimit({
        perAddress: limits.perAddress,
        perKey: limits.perKey,
        store: limiterStore,
        trustProxy: limits.trustProxy,
        keyPrefix: limits.keyPrefix,
      })
    } catch (error) {
      await closeLimiterStore().catch(() => undefined)
      screening?.close()
      await facilitator.close()
      throw error
    }
  }
  // --- end rate limits ---
  metrics.watch(facilitator)
  let draining = false
  // Probes share one check at a time and its answer for 1 s, so /ready cannot be used to flood the RPC.
  let lastReady: { at: number; answer: ReturnType<typeof checkReady> } | undefined
  const readyOptions = () => ({
    minBalance: config.readyMinBalance,
    draining,
    ...(screening ? { sanctions: screening.status } : {}),
  })
  const ready = () => {
    if (draining) return checkReady(facilitator, readyOptions())
    if (!lastReady || systemClock() - lastReady.at >= 1_000) {
      lastReady = { at: systemClock(), answer: checkReady(facilitator, readyOptions()) }
    }
    return lastReady.answer
  }
  const app = createApp(facilitator, {
    logError,
    logger,
    metrics,
    ready,
    draining: () => draining,
    ...(requireAdmin ? { requireAdmin } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    ...(authenticate ? { authenticate } : {}),
    ...(resources && config.discovery
      ? { discovery: { catalogue: resources, optOut: config.discovery.optOut, ...(now ? { now } : {}) } }
      : {}),
  })
  // Finishes rows a crash (or a lost RPC answer) left non-final: at start, then every interval; a
  // payment whose transaction can no longer land is settled again from the journal.
  const recovery = createRecovery(facilitator, {
    clients: new Map(
      config.networks.map(({ chainId, rpcUrl }) => [
        chainId,
        createPublicClient({ transport: transport(rpcUrl, { retryCount: 1, timeout: 15_000 }) }),
      ]),
    ),
    ...(now ? { now } : {}),
    intervalMs: config.reconcileIntervalMs,
    // A claim on a submitted row lasts about two passes (5 to 30 s): a live node claims it again
    // each pass, and the rows a killed node had claimed are not held from its restart for long.
    leaseSeconds: BigInt(Math.min(30, Math.max(5, Math.ceil((2 * config.reconcileIntervalMs) / 1000)))),
    staleSeconds: BigInt(config.reconcileStaleSeconds),
    onReport: (report) => {
      metrics.reconciled(report)
      const { examined, pending, ...changed } = report
      if (Object.values(changed).some((n) => n > 0)) logger.info({ reconciled: changed }, 'reconciled')
    },
    onError: logError,
  })
  try {
    // Settlements an earlier process left unmined (journaled) are taken over before anything new is
    // signed; the reconciler then runs now and every interval.
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
    const opsServer = config.metrics
      ? await listen(
          createOpsApp(facilitator, { metrics, ready }).fetch,
          config.metrics.host,
          config.metrics.port,
        ).catch(async (error: unknown) => {
          await closeServer(server)
          throw error
        })
      : undefined
    const { url, port } = urlOf(config.host, server)
    let stopping: Promise<void> | undefined
    const stop = () => {
      draining = true
      stopping ??= Promise.all([closeServer(server), opsServer ? closeServer(opsServer) : undefined])
        .then(() => recovery.stop())
        .then(() => facilitator.close())
        .then(() => {
          rateLimit?.close()
          return closeLimiterStore()
        })
        .then(() => keys?.close())
        .then(() => resources?.close())
        .then(() => screening?.close())
      return stopping
    }
    let shuttingDown: Promise<{ drained: boolean }> | undefined
    return {
      url,
      port,
      metricsUrl: opsServer ? urlOf(config.metrics?.host as string, opsServer).url : undefined,
      metrics,
      logger,
      signer: account.address,
      facilitator,
      reloadSanctions: () => {
        screening?.reload()
      },
      stop,
      shutdown() {
        shuttingDown ??= (async () => {
          draining = true
          const deadline = systemClock() + config.shutdownTimeoutMs
          // Sent and not yet mined, on every signer of this node.
          const unmined = () =>
            [...facilitator.networks.values()].reduce(
              (sum, { settler }) => sum + settler.signers().reduce((n, signer) => n + signer.inFlight, 0),
              0,
            )
          const busy = () => active > 0 || facilitator.inflight.size > 0 || unmined() > 0
          logger.info({ active, inflight: facilitator.inflight.size, unmined: unmined() }, 'shutdown: draining')
          // Bounded: polls until nothing is being served, settled or mined here, or the deadline.
          while (systemClock() < deadline && busy()) await sleep(25)
          const drained = !busy()
          logger.info(
            { drained, active, inflight: facilitator.inflight.size, unmined: unmined() },
            drained
              ? 'shutdown: drained, stopping'
              : 'shutdown: timed out; unmined settlements are journaled for the next start',
          )
          // Linger (up to 2 s): keep answering 503 with `Connection: close`, so keep-alive clients
          // are told to go away on an answer instead of finding their idle connection reset.
          const lingerUntil = Math.min(deadline, systemClock() + 2_000)
          while (systemClock() < lingerUntil && (await openConnections(server)) > 0) await sleep(25)
          await stop()
          return { drained }
        })()
        return shuttingDown
      },
    }
  } catch (error) {
    await recovery.stop()
    screening?.close()
    await facilitator.close()
    await closeLimiterStore().catch(() => undefined)
    await keys?.close()
    await resources?.close()
    throw error
  }
}

/** The JWT keys of a JWKS file; a file that cannot be read or parsed fails startup, naming the variable. */
async function readJwks(path: string) {
  try {
    return await parseJwtKeys(JSON.parse(readFileSync(path, 'utf8')))
  } catch (error) {
    throw new Error(`Invalid configuration: TOLLGATE_AUTH_JWKS_FILE: ${(error as Error).message}`)
  }
}
