import { ConfigError, type EvmNetwork, toCaip2 } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import * as z from 'zod'
import { list } from './optionSchemas.ts'
import { describeVariable, type Env, type OptionName, options, type Values } from './options.ts'

/** One enabled chain: its CAIP-2 id, chain id and RPC endpoint. */
export type NetworkConfig = Readonly<{ network: EvmNetwork; chainId: number; rpcUrl: string }>

const rpcUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''))

/** `TOLLGATE_SCREENING=on` (the default): the OFAC list and its updates, the oracles, the error policy, the lists. */
function screeningConfig(values: Values) {
  const onError = { ofac: 'block', usdc: 'block', oracle: 'block' } as Record<
    'ofac' | 'usdc' | 'oracle',
    'block' | 'allow'
  >
  for (const item of list(values.TOLLGATE_SCREENING_ON_ERROR)) {
    const [provider, mode] = item.split('=') as ['ofac' | 'usdc' | 'oracle', 'block' | 'allow']
    onError[provider] = mode
  }
  const oracles = new Map<number, Address>()
  if (values.TOLLGATE_SCREENING_ORACLES !== 'off') {
    for (const item of list(values.TOLLGATE_SCREENING_ORACLES)) {
      const [network, address] = item.split('=') as [string, Address]
      oracles.set(Number(network.slice('eip155:'.length)), address)
    }
  }
  const where = values.TOLLGATE_SANCTIONS_LIST
  return Object.freeze({
    /** The OFAC list's file; `undefined` when it is in PostgreSQL (`listInDatabase`) or there is none. */
    listPath: where === 'postgres' ? undefined : where,
    listInDatabase: where === 'postgres',
    /** How the OFAC list is fetched and checked (`sanctions update`, the refresh schedule). */
    update: Object.freeze({
      url: values.TOLLGATE_SANCTIONS_URL,
      refreshSeconds: values.TOLLGATE_SANCTIONS_REFRESH_SECONDS,
      timeoutMs: values.TOLLGATE_SANCTIONS_TIMEOUT_MS,
      maxBytes: values.TOLLGATE_SANCTIONS_MAX_BYTES,
      minBytes: values.TOLLGATE_SANCTIONS_MIN_BYTES,
      redirectHosts: Object.freeze(list(values.TOLLGATE_SANCTIONS_REDIRECT_HOSTS).map((host) => host.toLowerCase())),
    }),
    maxAgeSeconds: BigInt(values.TOLLGATE_SANCTIONS_MAX_AGE_HOURS) * 3600n,
    removalAlertRatio: Number(values.TOLLGATE_SANCTIONS_REMOVAL_ALERT),
    oracles: oracles as ReadonlyMap<number, Address>,
    onError: Object.freeze(onError),
    deny: Object.freeze(values.TOLLGATE_SCREENING_DENY) as readonly Address[],
    allow: Object.freeze(values.TOLLGATE_SCREENING_ALLOW) as readonly Address[],
  })
}

/** The frozen configuration from valid option values and the enabled networks. */
function toConfig(values: Values, networks: readonly NetworkConfig[]) {
  const { TOLLGATE_ETH_USD: ethPrice, TOLLGATE_MAX_GAS_SHARE: share } = values
  const maxShare = share.toLowerCase() === 'off' ? undefined : share
  const rateLimitStore =
    values.TOLLGATE_RATE_LIMIT_STORE ??
    (values.TOLLGATE_REDIS_URL ? 'redis' : values.TOLLGATE_DATABASE_URL ? 'postgres' : 'memory')
  return Object.freeze({
    /** `TOLLGATE_HOST`. */
    host: values.TOLLGATE_HOST,
    port: values.TOLLGATE_PORT,
    /** Never logged. */
    signerKey: values.TOLLGATE_SIGNER_KEY,
    signerKeys: Object.freeze(values.TOLLGATE_SIGNER_KEYS) as readonly Hex[],
    /** On by default; `TOLLGATE_MAX_GAS_SHARE=off` turns it off. */
    gasPolicy: maxShare ? Object.freeze({ ethPrice, maxShare }) : undefined,
    /** `undefined` when `TOLLGATE_BATCH_SIZE` is 1. */
    batch:
      values.TOLLGATE_BATCH_SIZE > 1
        ? Object.freeze({ maxSize: values.TOLLGATE_BATCH_SIZE, maxWaitMs: values.TOLLGATE_BATCH_WAIT_MS })
        : undefined,
    /** `Infinity` for `0` (never). */
    replaceAfterMs: values.TOLLGATE_REPLACE_AFTER_MS || Number.POSITIVE_INFINITY,
    maxFeePerGas: values.TOLLGATE_MAX_FEE_PER_GAS,
    maxPriorityFeePerGas: values.TOLLGATE_MAX_PRIORITY_FEE_PER_GAS,
    /** The gas policy's share for a payment's part of a batch (`TOLLGATE_MAX_BATCHED_GAS_SHARE`). */
    maxBatchedGasShare: values.TOLLGATE_MAX_BATCHED_GAS_SHARE,
    /** What the gas policy may lose per hour and network, USDC atomic units (`TOLLGATE_MAX_GAS_LOSS_PER_HOUR`). */
    maxGasLossPerHour: values.TOLLGATE_MAX_GAS_LOSS_PER_HOUR,
    networks: Object.freeze(networks),
    dataDir: values.TOLLGATE_DATA_DIR,
    /** Never logged. */
    databaseUrl: values.TOLLGATE_DATABASE_URL,
    databaseSchema: values.TOLLGATE_DATABASE_SCHEMA,
    reservationSeconds: values.TOLLGATE_RESERVATION_SECONDS,
    eip6492Factories: Object.freeze(values.TOLLGATE_EIP6492_FACTORIES) as readonly Address[],
    receiptTimeoutMs: values.TOLLGATE_RECEIPT_TIMEOUT_MS,
    pollingIntervalMs: values.TOLLGATE_POLLING_INTERVAL_MS,
    sendSync: Object.freeze({ mode: values.TOLLGATE_SEND_SYNC, timeoutMs: values.TOLLGATE_SEND_SYNC_TIMEOUT_MS }),
    receiptBlockTag: values.TOLLGATE_RECEIPT_BLOCK_TAG,
    reconcileIntervalMs: values.TOLLGATE_RECONCILE_INTERVAL_MS,
    reconcileStaleSeconds: values.TOLLGATE_RECONCILE_STALE_SECONDS,
    signerLeaseSeconds: values.TOLLGATE_SIGNER_LEASE_SECONDS,
    nodeId: values.TOLLGATE_NODE_ID,
    logLevel: values.TOLLGATE_LOG_LEVEL,
    /** `undefined`: no metrics listener. */
    metrics:
      values.TOLLGATE_METRICS_PORT === undefined
        ? undefined
        : Object.freeze({ host: values.TOLLGATE_METRICS_HOST, port: values.TOLLGATE_METRICS_PORT }),
    readyMinBalance: values.TOLLGATE_READY_MIN_BALANCE,
    shutdownTimeoutMs: values.TOLLGATE_SHUTDOWN_TIMEOUT_MS,
    /** Optimistic delivery's exposure limits, atomic units. */
    optimistic: Object.freeze({
      maxPerPayer: values.TOLLGATE_OPTIMISTIC_MAX_PER_PAYER,
      maxPerSeller: values.TOLLGATE_OPTIMISTIC_MAX_PER_SELLER,
    }),
    // --- limits (issue 9, items 2 and 3) ---
    minAmount: values.TOLLGATE_MIN_AMOUNT,
    minAmounts: values.TOLLGATE_MIN_AMOUNTS as Readonly<Record<string, bigint>>,
    coolOffSeconds: values.TOLLGATE_COOL_OFF_SECONDS,
    maxInFlightPerPayer: values.TOLLGATE_MAX_IN_FLIGHT_PER_PAYER,
    payerQueueWaitMs: values.TOLLGATE_PAYER_QUEUE_WAIT_MS,
    /** Request rate limits (`429 rate_limited` with `Retry-After`). */
    rateLimit: Object.freeze({
      perAddress: values.TOLLGATE_RATE_LIMIT_PER_MINUTE,
      perKey: values.TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE,
      store: rateLimitStore,
      /** Never logged. */
      redisUrl: values.TOLLGATE_REDIS_URL,
      trustProxy: values.TOLLGATE_TRUST_PROXY === 'true' || values.TOLLGATE_TRUST_PROXY === '1',
      keyPrefix: values.TOLLGATE_RATE_LIMIT_PREFIX,
    }),
    // --- end limits ---
    /** The discovery catalogue: `undefined` when off; payees opted out, lower-case. */
    discovery:
      values.TOLLGATE_DISCOVERY === 'on'
        ? Object.freeze({
            optOut: new Set(
              values.TOLLGATE_DISCOVERY_OPT_OUT.map((address) => address.toLowerCase()),
            ) as ReadonlySet<string>,
          })
        : undefined,
    /** Signed receipts: `undefined` when off. */
    receipts:
      values.TOLLGATE_RECEIPTS === 'on'
        ? Object.freeze({
            keysFile: values.TOLLGATE_RECEIPT_KEYS_FILE,
            algorithm: values.TOLLGATE_RECEIPT_ALG,
            didWebOrigin: values.TOLLGATE_RECEIPT_DID_WEB,
          })
        : undefined,
    /** Sanctions screening; `undefined` when off. */
    screening: values.TOLLGATE_SCREENING === 'on' ? screeningConfig(values) : undefined,
    /** Who may call the service. */
    auth: Object.freeze({
      mode: values.TOLLGATE_AUTH,
      jwksFile: values.TOLLGATE_AUTH_JWKS_FILE,
      jwtHost: values.TOLLGATE_AUTH_JWT_HOST,
      keyCacheMs: values.TOLLGATE_AUTH_KEY_CACHE_MS,
    }),
  })
}

/** Rate limits of `/verify`, `/settle` and `/release`, per client address and per API key. */
export type RateLimitConfig = Config['rateLimit']

/** Who may call `/verify`, `/settle`, `/release` and admin routes. */
export type AuthConfig = Config['auth']

/** The service's configuration, parsed once at the entry and frozen: the type is inferred from {@link options}. */
export type Config = ReturnType<typeof toConfig>

/**
 * Reads the facilitator's configuration from environment variables (or a config file's values, see
 * {@link readConfigFile}), validating each with its zod schema in {@link options}. The first problem
 * is the error's message (it names the variable); every problem is in `details`. Secrets (signer
 * keys, the database URL, RPC URLs) are never echoed. `tollgate-facilitator --help` lists every
 * variable with its default, generated from the same table.
 *
 * @example
 * import { parseConfig } from './parseConfig.ts'
 * const config = parseConfig(process.env) // throws ConfigError naming the bad variable
 */
export function parseConfig(env: Env): Config {
  const problems: string[] = []
  const values: Partial<Record<OptionName, unknown>> = {}
  for (const [name, option] of Object.entries(options) as [OptionName, (typeof options)[OptionName]][]) {
    const raw = env[name]
    const result = option.schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) values[name] = result.data
    else problems.push(describeVariable(name, result.error.issues[0]?.message ?? 'invalid', raw))
  }

  const networks: NetworkConfig[] = []
  const names = list(env.TOLLGATE_NETWORKS?.trim() ? env.TOLLGATE_NETWORKS : 'eip155:8453')
  for (const name of names) {
    const network = toCaip2(name)
    if (!network) {
      problems.push(
        describeVariable(
          'TOLLGATE_NETWORKS',
          `unknown network ${JSON.stringify(name)}; use CAIP-2 ids such as eip155:8453 or v1 names such as base`,
        ),
      )
      continue
    }
    if (networks.some((known) => known.network === network)) continue
    const chainId = Number(network.slice('eip155:'.length))
    const variable = `TOLLGATE_RPC_URL_${chainId}`
    const raw = env[variable]
    if (raw === undefined || raw.trim() === '') {
      problems.push(`${variable}: is required because TOLLGATE_NETWORKS enables ${network}`)
      continue
    }
    const url = rpcUrl.safeParse(raw.trim())
    if (!url.success) {
      // An RPC URL may carry a provider key: never echoed.
      problems.push(`${variable}: ${url.error.issues[0]?.message ?? 'expected an http(s) URL'}`)
      continue
    }
    networks.push(Object.freeze({ network, chainId, rpcUrl: url.data }))
  }
  if (values.TOLLGATE_RATE_LIMIT_STORE === 'redis' && !values.TOLLGATE_REDIS_URL) {
    problems.push('TOLLGATE_RATE_LIMIT_STORE: redis needs TOLLGATE_REDIS_URL')
  }
  if (values.TOLLGATE_SANCTIONS_LIST === 'postgres' && !values.TOLLGATE_DATABASE_URL) {
    problems.push('TOLLGATE_SANCTIONS_LIST: postgres needs TOLLGATE_DATABASE_URL (the shared database)')
  }
  if (values.TOLLGATE_SCREENING === 'on') {
    const denied = new Set((values.TOLLGATE_SCREENING_DENY as Address[] | undefined)?.map((a) => a.toLowerCase()))
    const both = (values.TOLLGATE_SCREENING_ALLOW as Address[] | undefined)?.find((a) => denied.has(a.toLowerCase()))
    if (both) problems.push(`TOLLGATE_SCREENING_ALLOW: ${both} is also in TOLLGATE_SCREENING_DENY`)
  }
  if (values.TOLLGATE_AUTH === 'on' && values.TOLLGATE_AUTH_JWKS_FILE && !values.TOLLGATE_AUTH_JWT_HOST) {
    problems.push(
      "TOLLGATE_AUTH_JWT_HOST: is required with TOLLGATE_AUTH_JWKS_FILE: the public host this facilitator is called at (e.g. facilitator.example.com), which every JWT's uris must name; a request's Host header is the caller's to write, so it cannot tell this facilitator's tokens from those minted for another sharing the JWKS",
    )
  }
  if (values.TOLLGATE_RATE_LIMIT_STORE === 'postgres' && !values.TOLLGATE_DATABASE_URL) {
    problems.push('TOLLGATE_RATE_LIMIT_STORE: postgres needs TOLLGATE_DATABASE_URL')
  }

  if (problems.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${problems[0]}`, details: problems.slice(1) })
  }
  return toConfig(values as Values, networks)
}
