import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { serve } from '@hono/node-server'
import type { RecoverAddress } from '@tollgate/evm'
import {
  createFacilitator,
  createReconciler,
  type Facilitator,
  resettle,
  type SignerLeases,
  type Store,
} from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import { type Address, createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { ApiKeyStore } from './apiKeys.ts'
import { createApp } from './app.ts'
import { type Authenticate, createAuthenticate, parseJwtKeys } from './auth.ts'
import { type Config, type Env, parseConfig } from './config.ts'
import { openApiKeyStore } from './keys.ts'
import { createNativeRecover } from './nativeRecover.ts'

export type StartFacilitatorOptions = {
  /** Default: PostgreSQL at `config.databaseUrl` when set, else SQLite under `config.dataDir`. */
  store?: Store
  /** This node's id in a shared ledger (signer leases). Default: host, pid and a random suffix. */
  nodeId?: string
  /** Default: native libsecp256k1 ({@link createNativeRecover}). */
  recover?: RecoverAddress
  /** Seconds since the epoch. Default: the system clock. */
  now?: () => bigint
  /** Where unexpected request errors go. Default `console.error`. */
  logError?: (error: unknown) => void
  /** The API keys. Default: beside the ledger (PostgreSQL at `config.databaseUrl`, else SQLite in `config.dataDir`); none with `TOLLGATE_AUTH=off`. Closed on stop. */
  apiKeys?: ApiKeyStore
}

export type RunningFacilitator = {
  /** `http://<host>:<port>`, with the port actually bound (useful with port 0). */
  url: string
  port: number
  /** The settlement signer's address (the key itself is never exposed). */
  signer: Address
  facilitator: Facilitator
  /** Stops listening, closes open connections, stops receipt polling and closes the ledger. */
  stop(): Promise<void>
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
  { store, recover, now, logError, nodeId, apiKeys }: StartFacilitatorOptions = {},
): Promise<RunningFacilitator> {
  const config = isConfig(input) ? input : parseConfig(input)
  // Auth (on unless TOLLGATE_AUTH=off): API keys beside the ledger, JWTs against the JWKS file.
  const jwtKeys = config.auth.mode === 'on' && config.auth.jwksFile ? await readJwks(config.auth.jwksFile) : []
  const ledger =
    store ??
    (config.databaseUrl
      ? await createPostgresStore({ connectionString: config.databaseUrl, schema: config.databaseSchema })
      : createSqliteStore({ dataDir: config.dataDir }))
  let keys: ApiKeyStore | undefined
  try {
    keys = config.auth.mode === 'on' ? (apiKeys ?? (await openApiKeyStore(config))) : undefined
  } catch (error) {
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
  const clock = now ?? (() => BigInt(Math.floor(Date.now() / 1000)))
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
  const facilitator = createFacilitator(
    {
      store: ledger,
      networks: config.networks.map(({ network, rpcUrl }) => ({
        network,
        account,
        accounts,
        ...(leases ? { leases } : {}),
        client: createPublicClient({
          transport: http(rpcUrl, { batch: { batchSize: 200 }, retryCount: 1, timeout: 15_000 }),
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
      ...(config.batch ? { batch: config.batch } : {}),
      replaceAfterMs: config.replaceAfterMs,
      fees: { maxFeePerGas: config.maxFeePerGas },
      ...(now ? { now } : {}),
      logError: logError ?? ((error) => console.error(error)),
    },
  )
  const app = createApp(facilitator, {
    ...(logError ? { logError } : {}),
    ...(authenticate ? { authenticate } : {}),
  })
  // Finishes rows a crash (or a lost RPC answer) left non-final: at start, then every interval.
  const reconciler = createReconciler(
    {
      store: facilitator.store,
      chains: config.networks.map(({ chainId, rpcUrl }) => ({
        chainId,
        client: createPublicClient({ transport: http(rpcUrl, { retryCount: 1, timeout: 15_000 }) }),
      })),
    },
    {
      ...(now ? { now } : {}),
      intervalMs: config.reconcileIntervalMs,
      // A claim on a submitted row lasts about two passes (5 to 30 s): a live node claims it again
      // each pass, and the rows a killed node had claimed are not held from its restart for long.
      leaseSeconds: BigInt(Math.min(30, Math.max(5, Math.ceil((2 * config.reconcileIntervalMs) / 1000)))),
      staleSeconds: BigInt(config.reconcileStaleSeconds),
      onReport: ({ examined, pending, ...changed }) => {
        if (Object.values(changed).some((n) => n > 0)) console.log(`reconciled ${JSON.stringify(changed)}`)
      },
      onError: logError ?? ((error) => console.error(error)),
      // A payment whose transaction can no longer land is settled again from the journal.
      onRequeued: (entry, transaction) => {
        void resettle(facilitator, entry, transaction).catch(logError ?? ((error) => console.error(error)))
      },
    },
  )
  try {
    // Settlements an earlier process left unmined (journaled): sent again, replaced when stuck.
    await facilitator.resume()
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const listening = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(listening))
      listening.once('error', reject)
    })
    const { port } = server.address() as AddressInfo
    const host = config.host.includes(':') ? `[${config.host}]` : config.host
    if (config.reconcileIntervalMs > 0) reconciler.start()
    else void reconciler.run().catch(logError ?? ((error) => console.error(error)))
    let stopping: Promise<void> | undefined
    return {
      url: `http://${host}:${port}`,
      port,
      signer: account.address,
      facilitator,
      stop() {
        stopping ??= new Promise<void>((resolve) => {
          server.close(() => resolve())
          if ('closeAllConnections' in server) server.closeAllConnections()
        })
          .then(() => reconciler.stop())
          .then(() => facilitator.close())
          .then(() => keys?.close())
        return stopping
      },
    }
  } catch (error) {
    await facilitator.close()
    await keys?.close()
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
