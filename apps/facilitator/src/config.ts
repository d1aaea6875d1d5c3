import { ConfigError, type EvmNetwork, toCaip2 } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import * as z from 'zod'

/** One enabled chain: its CAIP-2 id, chain id and RPC endpoint. */
export type NetworkConfig = Readonly<{ network: EvmNetwork; chainId: number; rpcUrl: string }>

/** The service's configuration, parsed once at the entry and frozen. */
export type Config = Readonly<{
  /** `TOLLGATE_HOST`, default `127.0.0.1`. */
  host: string
  /** `TOLLGATE_PORT`, default `4020`; `0` picks a free port. */
  port: number
  /** `TOLLGATE_SIGNER_KEY`: the settlement signer's private key. Never logged. */
  signerKey: Hex
  /** `TOLLGATE_SIGNER_KEYS`: more signer keys (comma-separated), pooled after `signerKey`. Never logged. */
  signerKeys: readonly Hex[]
  /**
   * `TOLLGATE_ETH_USD` (default `4000`) and `TOLLGATE_MAX_GAS_SHARE` (default `0.5`; `off` turns it
   * off): the gas policy, on by default. A settlement whose worst-case gas (gas limit × current max
   * fee, priced at `TOLLGATE_ETH_USD`) costs more than this share of its value is `amount_too_low`.
   */
  gasPolicy: Readonly<{ ethPrice: string; maxShare: string }> | undefined
  /** `TOLLGATE_BATCH_SIZE` (default `1`: off) and `TOLLGATE_BATCH_WAIT_MS` (default `50`): Multicall3 batching. */
  batch: Readonly<{ maxSize: number; maxWaitMs: number }> | undefined
  /** `TOLLGATE_REPLACE_AFTER_MS`: replace a settlement not mined after this long (default 15 s; `0`: never, `Infinity` here). */
  replaceAfterMs: number
  /** `TOLLGATE_MAX_FEE_PER_GAS` (wei): the fee cap, replacements included (default 100 gwei). */
  maxFeePerGas: bigint
  /** `TOLLGATE_NETWORKS` (default `eip155:8453`) with `TOLLGATE_RPC_URL_<chainId>` each. */
  networks: readonly NetworkConfig[]
  /** `TOLLGATE_DATA_DIR`, default `./.data`: where the SQLite ledger lives. */
  dataDir: string
  /** `TOLLGATE_DATABASE_URL` (`postgres://…`): when set, the ledger is on PostgreSQL, shared by several nodes. Never logged. */
  databaseUrl: string | undefined
  /** `TOLLGATE_DATABASE_SCHEMA`, default `public`: the PostgreSQL schema of the ledger. */
  databaseSchema: string
  /** `TOLLGATE_RESERVATION_SECONDS`, default `120`: how long a `/verify` reservation is held. */
  reservationSeconds: number
  /** `TOLLGATE_EIP6492_FACTORIES`: allowed ERC-6492 factories, default none. */
  eip6492Factories: readonly Address[]
  /** `TOLLGATE_RECEIPT_TIMEOUT_MS`, default `30000`: how long `/settle` waits before `settlement_pending`. */
  receiptTimeoutMs: number
  /** `TOLLGATE_POLLING_INTERVAL_MS`, default `250`: receipt polling interval. */
  pollingIntervalMs: number
  /** `TOLLGATE_RECONCILE_INTERVAL_MS`, default `30000`: how often the reconciler finishes non-final ledger rows; `0` runs it only at start. */
  reconcileIntervalMs: number
  /** `TOLLGATE_RECONCILE_STALE_SECONDS`, default `60`: an unclaimed `settling` row this old is given back to `reserved`. */
  reconcileStaleSeconds: number
  /**
   * `TOLLGATE_SIGNER_LEASE_SECONDS`, default `6`: the signer lease on a shared ledger, renewed every
   * quarter of it; a node killed without releasing it is taken over by another (or its restart) this
   * long after its last renewal at most.
   */
  signerLeaseSeconds: number
  /**
   * `TOLLGATE_NODE_ID`: this node's stable id in a shared ledger (the signer lease owner). A restart
   * under the same id takes its signer lease over at once. Default: host, pid and a random suffix
   * (a restart waits for the lease to run out).
   */
  nodeId: string | undefined
  // --- limits (issue 9, items 2 and 3) ---
  /** `TOLLGATE_MIN_AMOUNT`, default `1000` ($0.001 USDC): the smallest payment accepted, atomic units. */
  minAmount: bigint
  /** `TOLLGATE_MIN_AMOUNTS`: per-asset minimums, `0xasset:amount` comma-separated, over `minAmount`. */
  minAmounts: Readonly<Record<string, bigint>>
  /** `TOLLGATE_COOL_OFF_SECONDS`, default `600`: a payer whose settlement reverted on chain is refused this long (per node; `0`: never). */
  coolOffSeconds: number
  /** `TOLLGATE_MAX_IN_FLIGHT_PER_PAYER`, default `16`: settlements of one payer in flight on a node at once. */
  maxInFlightPerPayer: number
  /** Request rate limits (`429 rate_limited` with `Retry-After`). */
  rateLimit: RateLimitConfig
  // --- end limits ---
  /** `TOLLGATE_AUTH*`: who may call the service (see {@link AuthConfig}). */
  auth: AuthConfig
}>

/** Rate limits of `/verify`, `/settle` and `/release`, per client address and per API key. */
export type RateLimitConfig = Readonly<{
  /** `TOLLGATE_RATE_LIMIT_PER_MINUTE`, default `600`: requests per client address per minute; `0`: off. */
  perAddress: number
  /** `TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE`, default `6000`: requests per API key per minute; `0`: off. */
  perKey: number
  /**
   * `TOLLGATE_RATE_LIMIT_STORE`: `memory` (one node), `postgres` (the ledger's database) or `redis`
   * (`TOLLGATE_REDIS_URL`). Default: `redis` when `TOLLGATE_REDIS_URL` is set, else `postgres` when
   * `TOLLGATE_DATABASE_URL` is set, else `memory`.
   */
  store: 'memory' | 'postgres' | 'redis'
  /** `TOLLGATE_REDIS_URL` (`redis://…`): the shared rate-limit store. Never logged. */
  redisUrl: string | undefined
  /**
   * `TOLLGATE_TRUST_PROXY`, default `false`: `true` when the service is behind one reverse proxy
   * that appends the client to `X-Forwarded-For`; the client address is then its last entry.
   * Otherwise the socket's address is used and the header ignored.
   */
  trustProxy: boolean
  /** `TOLLGATE_RATE_LIMIT_PREFIX`, default `tollgate`: prefix of the counters (and the PostgreSQL table `<prefix>_rate_limits`). */
  keyPrefix: string
}>

// ---- auth (item 1: API keys and JWTs) -------------------------------------------------------------

/** Who may call `/verify`, `/settle`, `/release` and admin routes. */
export type AuthConfig = Readonly<{
  /**
   * `TOLLGATE_AUTH`, default `on`: API keys (created with `tollgate-facilitator keys create`, kept
   * beside the ledger) and, with a JWKS file, JWTs. `off` lets every caller through: local
   * development only.
   */
  mode: 'on' | 'off'
  /** `TOLLGATE_AUTH_JWKS_FILE`: a JWKS of the public keys JWTs may be signed with (each with `scopes` and `payTo`). Default: none (API keys only). */
  jwksFile: string | undefined
  /** `TOLLGATE_AUTH_JWT_HOST`: the host a JWT's `uris` must name. Default: the request's `Host`. */
  jwtHost: string | undefined
  /** `TOLLGATE_AUTH_KEY_CACHE_MS`, default `5000`: how long a found key is remembered (a revocation takes at most this long; `0`: never). */
  keyCacheMs: number
}>

const authVariables = {
  TOLLGATE_AUTH: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
  TOLLGATE_AUTH_JWKS_FILE: z.string().trim().min(1).optional(),
  TOLLGATE_AUTH_JWT_HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/, 'expected a host name, optionally with :port')
    .optional(),
  TOLLGATE_AUTH_KEY_CACHE_MS: z
    .string()
    .trim()
    .regex(/^[0-9]+$/, 'expected an integer from 0 to 600000')
    .transform(Number)
    .refine((value) => value <= 600_000, 'expected an integer from 0 to 600000')
    .default(5_000),
}

/** Reads the `TOLLGATE_AUTH*` variables; problems are appended to `problems`. */
export function parseAuthConfig(env: Env, problems: string[]): AuthConfig {
  const read = <S extends z.ZodType>(name: keyof typeof authVariables, schema: S): z.output<S> | undefined => {
    const raw = env[name]
    const result = schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) return result.data
    problems.push(
      `${name}: ${result.error.issues[0]?.message ?? 'invalid'}${raw === undefined ? '' : ` (got ${JSON.stringify(raw)})`}`,
    )
    return undefined
  }
  return Object.freeze({
    mode: read('TOLLGATE_AUTH', authVariables.TOLLGATE_AUTH) ?? 'on',
    jwksFile: read('TOLLGATE_AUTH_JWKS_FILE', authVariables.TOLLGATE_AUTH_JWKS_FILE),
    jwtHost: read('TOLLGATE_AUTH_JWT_HOST', authVariables.TOLLGATE_AUTH_JWT_HOST),
    keyCacheMs: read('TOLLGATE_AUTH_KEY_CACHE_MS', authVariables.TOLLGATE_AUTH_KEY_CACHE_MS) ?? 5_000,
  })
}

/** Where API keys live: the ledger's place, for the service and the `keys` CLI. */
export type KeyStoreConfig = Readonly<{ dataDir: string; databaseUrl: string | undefined; databaseSchema: string }>

/** Reads `TOLLGATE_DATA_DIR`, `TOLLGATE_DATABASE_URL` and `TOLLGATE_DATABASE_SCHEMA` only (the `keys` CLI needs no signer). */
export function parseKeyStoreConfig(env: Env): KeyStoreConfig {
  const problems: string[] = []
  const take = <S extends z.ZodType>(name: keyof typeof variables, schema: S): z.output<S> | undefined => {
    const raw = env[name]
    const result = schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) return result.data
    problems.push(describeVariable(name, result.error.issues[0]?.message ?? 'invalid', raw))
    return undefined
  }
  const dataDir = take('TOLLGATE_DATA_DIR', variables.TOLLGATE_DATA_DIR)
  const databaseUrl = take('TOLLGATE_DATABASE_URL', variables.TOLLGATE_DATABASE_URL)
  const databaseSchema = take('TOLLGATE_DATABASE_SCHEMA', variables.TOLLGATE_DATABASE_SCHEMA)
  if (problems.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${problems[0]}`, details: problems.slice(1) })
  }
  return Object.freeze({ dataDir: dataDir as string, databaseUrl, databaseSchema: databaseSchema as string })
}

// ---- end auth -------------------------------------------------------------------------------------

/** The environment as `process.env` has it. */
export type Env = Readonly<Record<string, string | undefined>>

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')

const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]+$/, `expected an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((value) => value >= min && value <= max, `expected an integer from ${min} to ${max}`)

const variables = {
  TOLLGATE_HOST: z.string().trim().min(1, 'expected a host name or IP address').default('127.0.0.1'),
  TOLLGATE_PORT: integer(0, 65_535).default(4020),
  TOLLGATE_SIGNER_KEY: z
    .string({ error: 'is required: the settlement signer private key (0x + 64 hex digits)' })
    .trim()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x and 64 hex digits (the value is not shown)')
    .transform((value) => value as Hex),
  TOLLGATE_DATA_DIR: z.string().trim().min(1, 'expected a directory').default('./.data'),
  TOLLGATE_DATABASE_URL: z
    .string()
    .trim()
    .regex(/^postgres(?:ql)?:\/\/\S+$/, 'expected a postgres:// URL (the value is not shown)')
    .optional(),
  TOLLGATE_DATABASE_SCHEMA: z
    .string()
    .trim()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case schema name')
    .default('public'),
  TOLLGATE_RESERVATION_SECONDS: integer(1, 86_400).default(120),
  TOLLGATE_RECEIPT_TIMEOUT_MS: integer(100, 600_000).default(30_000),
  TOLLGATE_POLLING_INTERVAL_MS: integer(10, 60_000).default(250),
  TOLLGATE_BATCH_SIZE: integer(1, 200).default(1),
  TOLLGATE_BATCH_WAIT_MS: integer(0, 10_000).default(50),
  TOLLGATE_REPLACE_AFTER_MS: integer(0, 600_000)
    .refine((value) => value === 0 || value >= 500, 'expected 0 (never) or at least 500')
    .default(15_000),
  TOLLGATE_MAX_FEE_PER_GAS: z
    .string()
    .trim()
    .regex(/^[1-9][0-9]{0,29}$/, 'expected a positive amount of wei')
    .transform((value) => BigInt(value))
    .default(100_000_000_000n),
  TOLLGATE_RECONCILE_INTERVAL_MS: integer(0, 3_600_000).default(30_000),
  TOLLGATE_RECONCILE_STALE_SECONDS: integer(1, 86_400).default(60),
  TOLLGATE_SIGNER_LEASE_SECONDS: integer(3, 600).default(6),
  // --- limits (issue 9, items 2 and 3) ---
  TOLLGATE_MIN_AMOUNT: z
    .string()
    .trim()
    .regex(/^[0-9]{1,30}$/, 'expected an amount in atomic units')
    .transform((value) => BigInt(value))
    .default(1_000n),
  TOLLGATE_COOL_OFF_SECONDS: integer(0, 604_800).default(600),
  TOLLGATE_MAX_IN_FLIGHT_PER_PAYER: integer(1, 100_000).default(16),
  TOLLGATE_RATE_LIMIT_PER_MINUTE: integer(0, 10_000_000).default(600),
  TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: integer(0, 10_000_000).default(6_000),
  TOLLGATE_RATE_LIMIT_STORE: z.enum(['memory', 'postgres', 'redis']).optional(),
  TOLLGATE_REDIS_URL: z
    .string()
    .trim()
    .regex(/^rediss?:\/\/\S+$/, 'expected a redis:// URL (the value is not shown)')
    .optional(),
  TOLLGATE_TRUST_PROXY: z.enum(['true', 'false', '1', '0']).default('false'),
  TOLLGATE_RATE_LIMIT_PREFIX: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{0,40}$/, 'expected lower-case letters, digits and _')
    .default('tollgate'),
  // --- end limits ---
  TOLLGATE_NODE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'expected 1 to 100 letters, digits or ._:-')
    .optional(),
}

const rpcUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''))
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/)

function describeVariable(name: string, message: string, received?: string): string {
  const shown =
    received === undefined ||
    name.startsWith('TOLLGATE_SIGNER_KEY') ||
    name === 'TOLLGATE_DATABASE_URL' ||
    name === 'TOLLGATE_REDIS_URL'
      ? ''
      : ` (got ${JSON.stringify(received)})`
  return `${name}: ${message}${shown}`
}

/**
 * Reads the facilitator's configuration from environment variables, validating each with zod. The
 * first problem is the error's message (it names the variable); every problem is in `details`.
 * The signer key is never echoed.
 *
 * | Variable | Default |
 * | --- | --- |
 * | `TOLLGATE_HOST` | `127.0.0.1` |
 * | `TOLLGATE_PORT` | `4020` |
 * | `TOLLGATE_SIGNER_KEY` | required |
 * | `TOLLGATE_SIGNER_KEYS` | none (more signer keys, comma-separated) |
 * | `TOLLGATE_BATCH_SIZE`, `TOLLGATE_BATCH_WAIT_MS` | `1` (off), `50` |
 * | `TOLLGATE_REPLACE_AFTER_MS` | `15000` (a settlement not mined in 15 s is replaced at a higher fee; `0`: never) |
 * | `TOLLGATE_MAX_FEE_PER_GAS` | `100000000000` (100 gwei: no transaction, replacements included, offers more) |
 * | `TOLLGATE_ETH_USD`, `TOLLGATE_MAX_GAS_SHARE` | `4000`, `0.5` (gas policy on; `TOLLGATE_MAX_GAS_SHARE=off` turns it off) |
 * | `TOLLGATE_MIN_AMOUNT`, `TOLLGATE_MIN_AMOUNTS` | `1000` ($0.001 USDC), none (`0xasset:amount`, comma-separated) |
 * | `TOLLGATE_COOL_OFF_SECONDS` | `600` (a payer whose settlement reverted is refused this long; `0`: never) |
 * | `TOLLGATE_MAX_IN_FLIGHT_PER_PAYER` | `16` |
 * | `TOLLGATE_RATE_LIMIT_PER_MINUTE`, `TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE` | `600` per client address, `6000` per API key (`0`: off) |
 * | `TOLLGATE_RATE_LIMIT_STORE` | `redis` with `TOLLGATE_REDIS_URL`, else `postgres` with `TOLLGATE_DATABASE_URL`, else `memory` |
 * | `TOLLGATE_REDIS_URL` | none |
 * | `TOLLGATE_RATE_LIMIT_PREFIX` | `tollgate` (counter keys; PostgreSQL table `<prefix>_rate_limits`) |
 * | `TOLLGATE_TRUST_PROXY` | `false` (`true`: the client address is the last `X-Forwarded-For` entry) |
 * | `TOLLGATE_NETWORKS` | `eip155:8453` (comma-separated CAIP-2 ids or v1 names) |
 * | `TOLLGATE_RPC_URL_<chainId>` | required for each enabled network |
 * | `TOLLGATE_DATA_DIR` | `./.data` |
 * | `TOLLGATE_DATABASE_URL` | none (SQLite under the data directory); `postgres://…` for PostgreSQL |
 * | `TOLLGATE_DATABASE_SCHEMA` | `public` |
 * | `TOLLGATE_RESERVATION_SECONDS` | `120` |
 * | `TOLLGATE_EIP6492_FACTORIES` | none (comma-separated addresses) |
 * | `TOLLGATE_RECEIPT_TIMEOUT_MS` | `30000` |
 * | `TOLLGATE_POLLING_INTERVAL_MS` | `250` |
 * | `TOLLGATE_RECONCILE_INTERVAL_MS` | `30000` (`0`: at start only) |
 * | `TOLLGATE_RECONCILE_STALE_SECONDS` | `60` |
 * | `TOLLGATE_SIGNER_LEASE_SECONDS` | `6` (signer lease on a shared ledger; renewed every quarter of it) |
 * | `TOLLGATE_NODE_ID` | host, pid and a random suffix (set it so a restart takes its lease over at once) |
 * | `TOLLGATE_AUTH` | `on` (API keys, and JWTs with a JWKS file); `off`: no auth, local development only |
 * | `TOLLGATE_AUTH_JWKS_FILE` | none (API keys only) |
 * | `TOLLGATE_AUTH_JWT_HOST` | the request's `Host` |
 * | `TOLLGATE_AUTH_KEY_CACHE_MS` | `5000` |
 *
 * @example
 * import { parseConfig } from './config.ts'
 * const config = parseConfig(process.env) // throws ConfigError naming the bad variable
 */
export function parseConfig(env: Env): Config {
  const problems: string[] = []
  const read = <S extends z.ZodType>(name: keyof typeof variables, schema: S): z.output<S> | undefined => {
    const raw = env[name]
    const result = schema.safeParse(raw === '' ? undefined : raw)
    if (result.success) return result.data
    problems.push(describeVariable(name, result.error.issues[0]?.message ?? 'invalid', raw))
    return undefined
  }
  const host = read('TOLLGATE_HOST', variables.TOLLGATE_HOST)
  const port = read('TOLLGATE_PORT', variables.TOLLGATE_PORT)
  const signerKey = read('TOLLGATE_SIGNER_KEY', variables.TOLLGATE_SIGNER_KEY)
  const dataDir = read('TOLLGATE_DATA_DIR', variables.TOLLGATE_DATA_DIR)
  const databaseUrl = read('TOLLGATE_DATABASE_URL', variables.TOLLGATE_DATABASE_URL)
  const databaseSchema = read('TOLLGATE_DATABASE_SCHEMA', variables.TOLLGATE_DATABASE_SCHEMA)
  const reservationSeconds = read('TOLLGATE_RESERVATION_SECONDS', variables.TOLLGATE_RESERVATION_SECONDS)
  const receiptTimeoutMs = read('TOLLGATE_RECEIPT_TIMEOUT_MS', variables.TOLLGATE_RECEIPT_TIMEOUT_MS)
  const pollingIntervalMs = read('TOLLGATE_POLLING_INTERVAL_MS', variables.TOLLGATE_POLLING_INTERVAL_MS)
  const batchSize = read('TOLLGATE_BATCH_SIZE', variables.TOLLGATE_BATCH_SIZE)
  const batchWaitMs = read('TOLLGATE_BATCH_WAIT_MS', variables.TOLLGATE_BATCH_WAIT_MS)
  const replaceAfterMs =
    read('TOLLGATE_REPLACE_AFTER_MS', variables.TOLLGATE_REPLACE_AFTER_MS) || Number.POSITIVE_INFINITY
  const maxFeePerGas = read('TOLLGATE_MAX_FEE_PER_GAS', variables.TOLLGATE_MAX_FEE_PER_GAS)
  const reconcileIntervalMs = read('TOLLGATE_RECONCILE_INTERVAL_MS', variables.TOLLGATE_RECONCILE_INTERVAL_MS)
  const reconcileStaleSeconds = read('TOLLGATE_RECONCILE_STALE_SECONDS', variables.TOLLGATE_RECONCILE_STALE_SECONDS)
  const signerLeaseSeconds = read('TOLLGATE_SIGNER_LEASE_SECONDS', variables.TOLLGATE_SIGNER_LEASE_SECONDS)
  const nodeId = read('TOLLGATE_NODE_ID', variables.TOLLGATE_NODE_ID)
  // --- limits (issue 9, items 2 and 3) ---
  const minAmount = read('TOLLGATE_MIN_AMOUNT', variables.TOLLGATE_MIN_AMOUNT)
  const coolOffSeconds = read('TOLLGATE_COOL_OFF_SECONDS', variables.TOLLGATE_COOL_OFF_SECONDS)
  const maxInFlightPerPayer = read('TOLLGATE_MAX_IN_FLIGHT_PER_PAYER', variables.TOLLGATE_MAX_IN_FLIGHT_PER_PAYER)
  const perAddress = read('TOLLGATE_RATE_LIMIT_PER_MINUTE', variables.TOLLGATE_RATE_LIMIT_PER_MINUTE)
  const perKey = read('TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE', variables.TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE)
  const rateLimitStore = read('TOLLGATE_RATE_LIMIT_STORE', variables.TOLLGATE_RATE_LIMIT_STORE)
  const redisUrl = read('TOLLGATE_REDIS_URL', variables.TOLLGATE_REDIS_URL)
  const trustProxy = read('TOLLGATE_TRUST_PROXY', variables.TOLLGATE_TRUST_PROXY)
  const keyPrefix = read('TOLLGATE_RATE_LIMIT_PREFIX', variables.TOLLGATE_RATE_LIMIT_PREFIX)
  const minAmounts: Record<string, bigint> = {}
  for (const item of list(env.TOLLGATE_MIN_AMOUNTS)) {
    const match = /^(0x[0-9a-fA-F]{40}):([0-9]{1,30})$/.exec(item)
    if (match) minAmounts[(match[1] as string).toLowerCase()] = BigInt(match[2] as string)
    else problems.push(describeVariable('TOLLGATE_MIN_AMOUNTS', 'expected comma-separated 0xasset:amount pairs', item))
  }
  const store = rateLimitStore ?? (redisUrl ? 'redis' : databaseUrl ? 'postgres' : 'memory')
  if (store === 'redis' && !redisUrl) problems.push('TOLLGATE_RATE_LIMIT_STORE: redis needs TOLLGATE_REDIS_URL')
  if (store === 'postgres' && !databaseUrl) {
    problems.push('TOLLGATE_RATE_LIMIT_STORE: postgres needs TOLLGATE_DATABASE_URL')
  }
  // --- end limits ---
  const auth = parseAuthConfig(env, problems) // auth (item 1)

  const networks: NetworkConfig[] = []
  const names =
    env.TOLLGATE_NETWORKS === undefined || env.TOLLGATE_NETWORKS.trim() === ''
      ? ['eip155:8453']
      : list(env.TOLLGATE_NETWORKS)
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
      problems.push(describeVariable(variable, url.error.issues[0]?.message ?? 'expected an http(s) URL', raw))
      continue
    }
    networks.push(Object.freeze({ network, chainId, rpcUrl: url.data }))
  }

  const signerKeys: Hex[] = []
  for (const item of list(env.TOLLGATE_SIGNER_KEYS)) {
    if (/^0x[0-9a-fA-F]{64}$/.test(item)) signerKeys.push(item as Hex)
    else
      problems.push(
        describeVariable('TOLLGATE_SIGNER_KEYS', 'expected comma-separated 0x + 64 hex digit keys (values not shown)'),
      )
  }
  const decimal = /^[0-9]+(?:\.[0-9]+)?$/
  // The gas policy is on by default (issue 9, item 2): `TOLLGATE_MAX_GAS_SHARE=off` turns it off.
  const ethPrice = env.TOLLGATE_ETH_USD?.trim() || '4000'
  const shareSetting = env.TOLLGATE_MAX_GAS_SHARE?.trim() || '0.5'
  const maxShare = shareSetting.toLowerCase() === 'off' ? undefined : shareSetting
  if (!decimal.test(ethPrice)) {
    problems.push(describeVariable('TOLLGATE_ETH_USD', 'expected a decimal such as 3000', ethPrice))
  }
  if (maxShare !== undefined && !decimal.test(maxShare)) {
    problems.push(describeVariable('TOLLGATE_MAX_GAS_SHARE', 'expected a decimal such as 0.5, or off', maxShare))
  }

  const eip6492Factories: Address[] = []
  for (const item of list(env.TOLLGATE_EIP6492_FACTORIES)) {
    if (address.safeParse(item).success) eip6492Factories.push(item as Address)
    else problems.push(describeVariable('TOLLGATE_EIP6492_FACTORIES', 'expected comma-separated 0x addresses', item))
  }

  if (problems.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${problems[0]}`, details: problems.slice(1) })
  }
  return Object.freeze({
    host: host as string,
    port: port as number,
    signerKey: signerKey as Hex,
    signerKeys: Object.freeze(signerKeys),
    gasPolicy: ethPrice && maxShare ? Object.freeze({ ethPrice, maxShare }) : undefined,
    batch:
      batchSize !== undefined && batchSize > 1
        ? Object.freeze({ maxSize: batchSize, maxWaitMs: batchWaitMs ?? 50 })
        : undefined,
    replaceAfterMs,
    maxFeePerGas: maxFeePerGas as bigint,
    networks: Object.freeze(networks),
    dataDir: dataDir as string,
    databaseUrl,
    databaseSchema: databaseSchema as string,
    reservationSeconds: reservationSeconds as number,
    eip6492Factories: Object.freeze(eip6492Factories),
    receiptTimeoutMs: receiptTimeoutMs as number,
    pollingIntervalMs: pollingIntervalMs as number,
    reconcileIntervalMs: reconcileIntervalMs as number,
    reconcileStaleSeconds: reconcileStaleSeconds as number,
    signerLeaseSeconds: signerLeaseSeconds as number,
    nodeId,
    // --- limits (issue 9, items 2 and 3) ---
    minAmount: minAmount as bigint,
    minAmounts: Object.freeze(minAmounts),
    coolOffSeconds: coolOffSeconds as number,
    maxInFlightPerPayer: maxInFlightPerPayer as number,
    rateLimit: Object.freeze({
      perAddress: perAddress as number,
      perKey: perKey as number,
      store,
      redisUrl,
      trustProxy: trustProxy === 'true' || trustProxy === '1',
      keyPrefix: keyPrefix as string,
    }),
    // --- end limits ---
    auth, // auth (item 1)
  })
}
