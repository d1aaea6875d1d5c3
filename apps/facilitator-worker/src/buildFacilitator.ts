import {
  createAuditLog,
  createFacilitator,
  createOracleProvider,
  createReceiptSigner,
  createRecovery,
  createScreening,
  createUsdcBlacklistProvider,
  type Facilitator,
  type Recovery,
  redactUrls,
  type Screening,
  type Store,
  systemNow,
} from '@tollgate/facilitator'
import { createMemoryApiKeyStore, hashApiKey } from '@tollgate/facilitator-service/src/http/apiKeys.ts'
import { createApp } from '@tollgate/facilitator-service/src/http/app.ts'
import { createAuthenticate } from '@tollgate/facilitator-service/src/http/auth.ts'
import { createDurableObjectStore, type DurableObjectNamespace, type StoreObject } from '@tollgate/store-durable-object'
import type { Hono } from 'hono'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { WorkerConfig } from './workerConfig.ts'

/** What the facilitator object serves with. */
export type BuiltFacilitator = {
  facilitator: Facilitator
  recovery: Recovery
  /** The service's own Hono app (the same routes, answers and auth as the Node service). */
  app: Hono
}

export type BuildFacilitatorDeps = {
  store: DurableObjectNamespace<StoreObject>
  /** The signer lease owner: the facilitator object's name (a restart takes a new epoch, fencing the old one out). */
  owner: string
}

/** The fault detail, with URLs redacted (an RPC URL may carry a provider key): for `console.error` only. */
const logError = (error: unknown) => console.error(redactUrls(error instanceof Error ? error.message : String(error)))

/**
 * Screening as on the Node service, from what needs no download: the asset's own USDC blacklist always, the
 * Chainalysis oracle where it is deployed; every decision in the audit trail (the Store's). Said once at start.
 */
function workerScreening(config: WorkerConfig, store: Store): Screening | undefined {
  if (config.screening === 'off') {
    console.warn('screening off (TOLLGATE_SCREENING=off): payers and payees are not screened')
    return undefined
  }
  const { oracle } = config.screening
  console.info(
    `screening on: the USDC blacklist; ${oracle ? 'the Chainalysis sanctions oracle' : `no sanctions oracle on ${config.network}`}; no OFAC list on Workers`,
  )
  return createScreening({
    providers: [
      createUsdcBlacklistProvider(),
      ...(oracle ? [createOracleProvider({ contracts: new Map([[config.chainId, oracle]]) })] : []),
    ],
    audit: createAuditLog(store.audit, { now: systemNow }),
    now: systemNow,
  })
}

/**
 * The facilitator of one Worker deployment over the Durable Object Store: signature recovery in pure JS (viem,
 * no native module), receipts signed with Web Crypto (jose), the signer leased in its own object, and the service's
 * HTTP app with API-key auth.
 */
export async function buildFacilitator(
  { store: namespace, owner }: BuildFacilitatorDeps,
  config: WorkerConfig,
): Promise<BuiltFacilitator> {
  const store = createDurableObjectStore({ namespace })
  const client = createPublicClient({
    transport: http(config.rpcUrl, { batch: { batchSize: 200 }, retryCount: 1, timeout: 15_000 }),
  })
  const screening = workerScreening(config, store)
  const receipts = config.receiptKeys ? await createReceiptSigner(config.receiptKeys) : undefined
  const facilitator = createFacilitator(
    { store, networks: [{ network: config.network, client, account: privateKeyToAccount(config.signerKey) }] },
    {
      receiptTimeoutMs: config.receiptTimeoutMs,
      signerLeases: { owner, leaseSeconds: 30 },
      logError,
      ...(receipts ? { receipts } : {}),
      ...(screening ? { screening } : {}),
    },
  )
  const recovery = createRecovery(facilitator, {
    intervalMs: 0,
    owner,
    staleSeconds: BigInt(config.reconcileStaleSeconds),
    onError: logError,
  })
  const keys = createMemoryApiKeyStore()
  for (const key of config.apiKeys) {
    await keys.insert({
      id: key.slice(3, 19),
      hash: await hashApiKey(key),
      scopes: ['verify', 'settle', 'release'],
      payTo: '*',
      label: 'TOLLGATE_API_KEYS',
      createdAt: 0n,
    })
  }
  const app = createApp(facilitator, { authenticate: createAuthenticate({ keys }), logError }) as unknown as Hono
  return { facilitator, recovery, app }
}
