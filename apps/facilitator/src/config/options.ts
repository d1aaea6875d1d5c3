import type { Hex } from 'viem'
import * as z from 'zod'
import { addressList, decimal, help, integer, list, wei } from './optionSchemas.ts'

/** The environment as `process.env` has it. */
export type Env = Readonly<Record<string, string | undefined>>

// ---- configuration schema (item 9): every variable, its parser, its default and its help ----
/**
 * Every configuration variable: its zod schema (the default is the schema's), and its help text.
 * `--help` is generated from this table ({@link describeOptions}), so it lists every option.
 */
export const options = {
  TOLLGATE_SIGNER_KEY: help(
    z
      .string({ error: 'is required: the settlement signer private key (0x + 64 hex digits)' })
      .trim()
      .regex(/^0x[0-9a-fA-F]{64}$/, 'expected 0x and 64 hex digits (the value is not shown)')
      .transform((value) => value as Hex),
    { description: 'settlement signer private key, 0x + 64 hex digits (never logged)', secret: true },
  ),
  TOLLGATE_SIGNER_KEYS: help(
    z
      .string()
      .optional()
      .transform((value) => list(value))
      .refine(
        (keys) => keys.every((key) => /^0x[0-9a-fA-F]{64}$/.test(key)),
        'expected comma-separated 0x + 64 hex digit keys (values not shown)',
      )
      .transform((keys) => keys as Hex[]),
    { description: 'more signer keys, comma-separated, pooled after TOLLGATE_SIGNER_KEY (never logged)', secret: true },
  ),
  TOLLGATE_NETWORKS: help(z.string().trim().default('eip155:8453'), {
    description: 'comma-separated CAIP-2 ids or v1 names; each needs TOLLGATE_RPC_URL_<chainId>',
  }),
  TOLLGATE_HOST: help(z.string().trim().min(1, 'expected a host name or IP address').default('127.0.0.1'), {
    description: 'listen address',
  }),
  TOLLGATE_PORT: help(integer(0, 65_535).default(4020), { description: 'listen port (0 picks a free port)' }),
  TOLLGATE_DATA_DIR: help(z.string().trim().min(1, 'expected a directory').default('./.data'), {
    description: 'directory of the SQLite ledger',
  }),
  TOLLGATE_DATABASE_URL: help(
    z
      .string()
      .trim()
      .regex(/^postgres(?:ql)?:\/\/\S+$/, 'expected a postgres:// URL (the value is not shown)')
      .optional(),
    {
      description: 'postgres://… : the ledger on PostgreSQL, shared by several nodes (never logged)',
      unset: 'SQLite under TOLLGATE_DATA_DIR',
      secret: true,
    },
  ),
  TOLLGATE_DATABASE_SCHEMA: help(
    z
      .string()
      .trim()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case schema name')
      .default('public'),
    { description: 'PostgreSQL schema of the ledger' },
  ),
  TOLLGATE_RESERVATION_SECONDS: help(integer(1, 86_400).default(120), {
    description: 'how long a /verify reservation is held',
  }),
  TOLLGATE_EIP6492_FACTORIES: help(addressList(), {
    description: 'comma-separated ERC-6492 factory allow-list',
    unset: 'none',
  }),
  TOLLGATE_RECEIPT_TIMEOUT_MS: help(integer(100, 600_000).default(30_000), {
    description: 'how long /settle waits for a receipt before settlement_pending',
  }),
  TOLLGATE_POLLING_INTERVAL_MS: help(integer(10, 60_000).default(250), { description: 'receipt polling interval' }),
  TOLLGATE_SEND_SYNC: help(z.enum(['auto', 'on', 'off'], { error: 'expected auto, on or off' }).default('auto'), {
    description:
      'send settlements with eth_sendRawTransactionSync (EIP-7966), answered with the receipt: auto (when the RPC serves it), on, off (send and poll receipts)',
  }),
  TOLLGATE_SEND_SYNC_TIMEOUT_MS: help(integer(100, 30_000).default(2_000), {
    description: 'how long the RPC may hold eth_sendRawTransactionSync before receipts are polled',
  }),
  TOLLGATE_RECEIPT_BLOCK_TAG: help(
    z.enum(['latest', 'pending'], { error: 'expected latest or pending' }).default('latest'),
    {
      description: 'pending where the RPC serves preconfirmed state (Base Flashblocks): receipts are asked for at once',
    },
  ),
  TOLLGATE_BATCH_SIZE: help(integer(1, 200).default(1), {
    description: 'payments per Multicall3 settlement transaction (1: batching off)',
  }),
  TOLLGATE_BATCH_WAIT_MS: help(integer(0, 10_000).default(50), {
    description: 'how long the first waiting payment waits for a batch',
  }),
  TOLLGATE_REPLACE_AFTER_MS: help(
    integer(0, 600_000)
      .refine((value) => value === 0 || value >= 500, 'expected 0 (never) or at least 500')
      .default(15_000),
    { description: 'replace a settlement not mined after this long, at a higher fee (0: never)' },
  ),
  TOLLGATE_MAX_FEE_PER_GAS: help(
    z
      .string()
      .trim()
      .regex(/^[1-9][0-9]{0,29}$/, 'expected a positive amount of wei')
      .transform((value) => BigInt(value))
      .default(100_000_000_000n),
    { description: 'fee cap in wei, replacements included' },
  ),
  TOLLGATE_MAX_PRIORITY_FEE_PER_GAS: help(
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,30}$/, 'expected an amount of wei')
      .transform((value) => BigInt(value))
      .default(1_000_000n),
    { description: "tip cap in wei (default 0.001 gwei, Base's usual tip; nodes may suggest far more)" },
  ),
  TOLLGATE_ETH_USD: help(decimal('3000').default('4000'), {
    description: 'ETH price in USD for the gas policy',
  }),
  TOLLGATE_MAX_GAS_SHARE: help(
    z
      .string()
      .trim()
      .regex(/^(?:[0-9]+(?:\.[0-9]+)?|off)$/i, 'expected a decimal such as 0.5, or off')
      .default('0.5'),
    {
      description:
        'gas policy: a payment whose settlement alone costs more than this share of its value is batched; off',
    },
  ),
  TOLLGATE_MAX_BATCHED_GAS_SHARE: help(
    z
      .string()
      .trim()
      .regex(/^[0-9]+(?:\.[0-9]+)?$/, 'expected a decimal such as 1')
      .default('1'),
    { description: 'gas policy: refuse a payment whose part of a batch costs more than this share of its value' },
  ),
  TOLLGATE_MAX_GAS_LOSS_PER_HOUR: help(
    decimal('0.01')
      .default('0.01')
      .transform((value) => {
        const [whole = '0', fraction = ''] = value.split('.')
        // USD to USDC atomic units (6 decimals); finer digits are dropped.
        return BigInt(`${whole}${fraction.padEnd(6, '0').slice(0, 6)}`)
      }),
    {
      description:
        'gas policy: USD per hour a network may lose on small payments the recent load cannot batch profitably (0: none)',
    },
  ),
  TOLLGATE_RECONCILE_INTERVAL_MS: help(integer(0, 3_600_000).default(30_000), {
    description: 'how often the reconciler finishes non-final ledger rows (0: at start only)',
  }),
  TOLLGATE_RECONCILE_STALE_SECONDS: help(integer(1, 86_400).default(60), {
    description: 'age at which an unclaimed settling row is given back to reserved',
  }),
  TOLLGATE_SIGNER_LEASE_SECONDS: help(integer(3, 600).default(6), {
    description: 'signer lease on a shared (PostgreSQL) ledger, fenced, renewed every quarter of it',
  }),
  TOLLGATE_NODE_ID: help(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'expected 1 to 100 letters, digits or ._:-')
      .optional(),
    {
      description: "this node's stable id on a shared ledger: a restart under it takes its lease at once",
      unset: 'host and port (with TOLLGATE_PORT=0: host, pid and a random suffix)',
    },
  ),
  TOLLGATE_LOG_LEVEL: help(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    description: 'JSON log level on stdout (pino): fatal, error, warn, info, debug, trace or silent',
  }),
  TOLLGATE_METRICS_PORT: help(integer(0, 65_535).optional(), {
    description:
      'a second listener serving GET /metrics and GET /ready with details, unauthenticated (0 picks a free port)',
    unset: 'off (/metrics and /ready details need the admin scope on the main port)',
  }),
  TOLLGATE_METRICS_HOST: help(z.string().trim().min(1, 'expected a host name or IP address').default('127.0.0.1'), {
    description: 'listen address of the metrics listener (keep it on loopback or a private network)',
  }),
  TOLLGATE_READY_MIN_BALANCE: help(wei('expected an amount of wei').default(1_000_000_000_000_000n), {
    description: 'GET /ready needs a leased signer with at least this balance, in wei',
  }),
  TOLLGATE_SHUTDOWN_TIMEOUT_MS: help(integer(0, 600_000).default(30_000), {
    description: 'on SIGTERM, how long in-flight settlements may take to finish before the process exits',
  }),
  // --- optimistic delivery (issue 23, item 3) ---
  TOLLGATE_OPTIMISTIC_MAX_PER_PAYER: help(
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,30}$/, 'expected an amount in atomic units')
      .transform((value) => BigInt(value))
      .default(1_000_000n),
    {
      description:
        'optimistic delivery: the most one payer may hold delivered and not yet settled (chain and asset, every payee), atomic units ($1 USDC); 0 turns optimistic delivery off',
    },
  ),
  TOLLGATE_OPTIMISTIC_MAX_PER_SELLER: help(
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,30}$/, 'expected an amount in atomic units')
      .transform((value) => BigInt(value))
      .default(100_000_000n),
    {
      description:
        'optimistic delivery: the most one payee may be owed for content delivered and not yet settled (every payer), atomic units ($100 USDC)',
    },
  ),
  // --- limits (issue 9, items 2 and 3) ---
  TOLLGATE_MIN_AMOUNT: help(
    z
      .string()
      .trim()
      .regex(/^[0-9]{1,30}$/, 'expected an amount in atomic units')
      .transform((value) => BigInt(value))
      .default(1_000n),
    { description: 'smallest accepted payment, atomic units ($0.001 USDC); 0 is always refused' },
  ),
  TOLLGATE_MIN_AMOUNTS: help(
    z
      .string()
      .optional()
      .transform((value) => list(value))
      .refine(
        (items) => items.every((item) => /^0x[0-9a-fA-F]{40}:[0-9]{1,30}$/.test(item)),
        'expected comma-separated 0xasset:amount pairs',
      )
      .transform((items) =>
        Object.freeze(
          Object.fromEntries(
            items.map((item) => {
              const [asset, amount] = item.split(':') as [string, string]
              return [asset.toLowerCase(), BigInt(amount)]
            }),
          ),
        ),
      ),
    { description: 'per-asset minimums, 0xasset:amount comma-separated', unset: 'none' },
  ),
  TOLLGATE_COOL_OFF_SECONDS: help(integer(0, 604_800).default(600), {
    description: 'a payer whose settlement reverted on chain is refused this long (per node; 0: never)',
  }),
  TOLLGATE_MAX_IN_FLIGHT_PER_PAYER: help(integer(1, 100_000).default(16), {
    description:
      "settlements of one payer in flight on a node at once; more wait their turn (up to 256 of one payer, 10,000 on the node, TOLLGATE_PAYER_QUEUE_WAIT_MS each), then /settle answers 503 facilitator_unavailable with Retry-After (the facilitator's overload, never the payer's fault)",
  }),
  TOLLGATE_PAYER_QUEUE_WAIT_MS: help(integer(0, 600_000).default(15_000), {
    description:
      "how long a settlement past TOLLGATE_MAX_IN_FLIGHT_PER_PAYER waits for its turn before /settle answers 503 facilitator_unavailable with Retry-After (0: never waits); keep it well under the sellers' settle timeout (60 s in @tollgate/hono)",
  }),
  TOLLGATE_RATE_LIMIT_PER_MINUTE: help(integer(0, 10_000_000).default(600), {
    description:
      'requests per client address per minute before authentication: without valid credentials (key guessing) and on public routes; requests with a valid API key or JWT count per key only (with TOLLGATE_AUTH=off every request counts here). 600 is 10/s: a seller asks the public routes rarely (its middleware reads /supported once per process) (0: off)',
  }),
  TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: help(integer(0, 10_000_000).default(600_000), {
    description:
      'requests per API key (or JWT key) per minute, over every node sharing the counters. 600000 is 10,000/s, well above what one node serves (docs/benchmarks.md, 2 cores: about 1,600 /verify a second, and 150 settlements a second, a /verify and a /settle each): an honest seller is never throttled by its key; lower it to cap one key (0: off)',
  }),
  TOLLGATE_RATE_LIMIT_STORE: help(z.enum(['memory', 'postgres', 'redis']).optional(), {
    description: 'where rate-limit counters live: memory, postgres or redis',
    unset: 'redis with TOLLGATE_REDIS_URL, else postgres with TOLLGATE_DATABASE_URL, else memory',
  }),
  TOLLGATE_REDIS_URL: help(
    z
      .string()
      .trim()
      .regex(/^rediss?:\/\/\S+$/, 'expected a redis:// URL (the value is not shown)')
      .optional(),
    {
      description: 'redis://… : rate-limit counters on Redis, shared by the nodes (never logged)',
      unset: 'none',
      secret: true,
    },
  ),
  TOLLGATE_TRUST_PROXY: help(z.enum(['true', 'false', '1', '0']).default('false'), {
    description: 'true: the client address is the last X-Forwarded-For entry (one trusted reverse proxy)',
  }),
  TOLLGATE_RATE_LIMIT_PREFIX: help(
    z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]{0,40}$/, 'expected lower-case letters, digits and _')
      .default('tollgate'),
    { description: 'prefix of the rate-limit counters (PostgreSQL table <prefix>_rate_limits)' },
  ),
  // --- end limits ---
  // --- discovery (issue 14) ---
  TOLLGATE_DISCOVERY: help(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'), {
    description:
      'on: resources their authenticated resource server declared (tollgate.resource and tollgate.discovery, as @tollgate/hono sends them) are listed at GET /discovery/resources once a payment settles',
  }),
  TOLLGATE_DISCOVERY_OPT_OUT: help(addressList(), {
    description: 'payees (payTo addresses, comma-separated) whose resources are never listed',
    unset: 'none',
  }),
  // --- end discovery ---
  // --- auth (issue 9, item 1) ---
  TOLLGATE_AUTH: help(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'), {
    description: 'on: /verify, /settle, /release need an API key or a JWT; off: none (local development only)',
  }),
  TOLLGATE_AUTH_JWKS_FILE: help(z.string().trim().min(1).optional(), {
    description: 'JWKS of the public keys JWTs may be signed with (ES256 / EdDSA), each with scopes and payTo',
    unset: 'API keys only',
  }),
  TOLLGATE_AUTH_JWT_HOST: help(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9.-]+(?::[0-9]{1,5})?$/, 'expected a host name, optionally with :port')
      .optional(),
    {
      description:
        "the public host (name[:port]) of this facilitator that a JWT's uris claim must name; never taken from the request's Host header",
      unset: 'none; required with TOLLGATE_AUTH_JWKS_FILE',
    },
  ),
  TOLLGATE_AUTH_KEY_CACHE_MS: help(integer(0, 600_000).default(5_000), {
    description: 'how long a found API key is remembered (a revocation takes at most this long; 0: never)',
  }),
  // --- end auth ---
  // --- receipts (issue 13) ---
  TOLLGATE_RECEIPTS: help(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'), {
    description: 'on: every settled payment gets a signed receipt (x402 offer-receipt, JWS); GET /receipts/:id',
  }),
  TOLLGATE_RECEIPT_KEYS_FILE: help(z.string().trim().min(1).optional(), {
    description:
      'JSON { "keys": [JWK…] } of the receipt keys: the first (with its private part) signs, all are published at /.well-known/jwks.json; give every node the same file (never logged)',
    unset: '<TOLLGATE_DATA_DIR>/receipt-keys.json, generated at the first start',
    secret: true,
  }),
  TOLLGATE_RECEIPT_ALG: help(z.enum(['ES256', 'EdDSA'], { error: 'expected ES256 or EdDSA' }).default('ES256'), {
    description: 'algorithm of a generated receipt key (the first start, `receipt-keys rotate`)',
  }),
  TOLLGATE_RECEIPT_DID_WEB: help(
    z
      .url({
        protocol: /^https?$/,
        error: 'expected the http(s) origin of the facilitator, e.g. https://facilitator.example.com',
      })
      .refine((value) => /^https?:\/\/[^/?#]+\/?$/.test(value), 'expected an origin only (no path, query or fragment)')
      .optional(),
    {
      description:
        'the public origin of this facilitator: receipt kids become did:web DID URLs of it and GET /.well-known/did.json lists the keys',
      unset: "kids are the keys' thumbprints, no DID document",
    },
  ),
  // --- end receipts ---
  // --- screening (issue 12) ---
  TOLLGATE_SCREENING: help(z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'), {
    description:
      'on: payer and payee are screened in /verify and again in /settle (the USDC blacklist always, the sanctions oracle where one is deployed, the OFAC list with TOLLGATE_SANCTIONS_LIST, the deny list); every decision is audited. off: nothing is screened (logged at start and shown in /ready)',
  }),
  TOLLGATE_SANCTIONS_LIST: help(z.string().trim().min(1, 'expected a file path or postgres').optional(), {
    description:
      'where the OFAC list (artifact) is kept: a file path (one per node; reloaded when it changes or on SIGHUP), or postgres (in the shared database of TOLLGATE_DATABASE_URL, for every node); fetched at start when there is none yet, then kept fresh (TOLLGATE_SANCTIONS_REFRESH_SECONDS)',
    unset: 'no OFAC list: on-chain screening only (said at start and in /ready)',
  }),
  TOLLGATE_SANCTIONS_URL: help(
    z
      .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
      .default('https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML'),
    { description: "where OFAC's SDN_ADVANCED.XML is fetched (sanctions update and the refresh schedule)" },
  ),
  TOLLGATE_SANCTIONS_REFRESH_SECONDS: help(integer(0, 31_536_000).default(86_400), {
    description:
      'how often the service fetches the OFAC list (counted from when the loaded list was last confirmed current; a failure is retried within the hour) (0: never, the operator runs sanctions update)',
  }),
  TOLLGATE_SANCTIONS_TIMEOUT_MS: help(integer(100, 3_600_000).default(300_000), {
    description: 'a download of the OFAC list taking longer than this is cut off (and refused)',
  }),
  TOLLGATE_SANCTIONS_MAX_BYTES: help(integer(1_000, 4_000_000_000).default(400_000_000), {
    description: 'a downloaded OFAC list larger than this is cut off while streaming (and refused)',
  }),
  TOLLGATE_SANCTIONS_MIN_BYTES: help(integer(0, 4_000_000_000).default(1_000_000), {
    description: 'a downloaded OFAC list smaller than this is refused as truncated (SDN_ADVANCED.XML is over 100 MB)',
  }),
  TOLLGATE_SANCTIONS_REDIRECT_HOSTS: help(
    z
      .string()
      .trim()
      .default('s3.us-gov-west-1.amazonaws.com')
      .refine(
        (value) => list(value).every((item) => /^[a-z0-9.-]+$/i.test(item)),
        'expected comma-separated host names',
      ),
    {
      description:
        "hosts a download of the OFAC list may be redirected to, besides TOLLGATE_SANCTIONS_URL's own (https only); any other redirect is refused",
    },
  ),
  TOLLGATE_SANCTIONS_MAX_AGE_HOURS: help(integer(1, 8_760).default(48), {
    description:
      'a list older than this (since its source was checked) makes screening unavailable: payments are declined',
  }),
  TOLLGATE_SANCTIONS_REMOVAL_ALERT: help(
    decimal('0.2')
      .default('0.2')
      .refine((value) => Number(value) <= 1, 'expected a share from 0 to 1'),
    {
      description:
        'an update removing more than this share of the addresses is held for the operator, not applied (sanctions update --allow-mass-removal); a file replaced by hand is loaded and logged as a warning',
    },
  ),
  TOLLGATE_SCREENING_ORACLES: help(
    z
      .string()
      .trim()
      .default('eip155:8453=0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B')
      .refine(
        (value) => value === 'off' || list(value).every((item) => /^eip155:[0-9]{1,12}=0x[0-9a-fA-F]{40}$/.test(item)),
        'expected off or comma-separated eip155:<chainId>=0x<address>',
      ),
    { description: 'the Chainalysis sanctions oracle (isSanctioned) per network, or off' },
  ),
  TOLLGATE_SCREENING_ON_ERROR: help(
    z
      .string()
      .trim()
      .optional()
      .refine(
        (value) => list(value).every((item) => /^(?:ofac|usdc|oracle)=(?:block|allow)$/.test(item)),
        'expected comma-separated <ofac|usdc|oracle>=<block|allow>',
      ),
    {
      description: 'what a provider error means: block (fail closed) or allow (degraded, audited), e.g. oracle=allow',
      unset: 'block for every provider',
    },
  ),
  TOLLGATE_SCREENING_DENY: help(addressList(), {
    description: 'operator deny list (comma-separated addresses), as binding as the OFAC list',
    unset: 'none',
  }),
  TOLLGATE_SCREENING_ALLOW: help(addressList(), {
    description:
      'operator allow list: overrides oracle hits only, never the OFAC list, the USDC blacklist or the deny list',
    unset: 'none',
  }),
  // --- end screening ---
} as const

/** Variables named by a pattern (one per enabled network). */
export const patternOptions = {
  'TOLLGATE_RPC_URL_<chainId>': {
    description: 'http(s) RPC URL of each enabled network, e.g. TOLLGATE_RPC_URL_8453 (never logged)',
    default: 'required for each enabled network',
  },
} as const

export type OptionName = keyof typeof options

/** Each option's parsed value, as the schema's output types say. */
export type Values = { [K in OptionName]: z.output<(typeof options)[K]['schema']> }

/** A problem with one variable, naming it; a secret's value is never shown. */
export function describeVariable(name: string, message: string, received?: string): string {
  const secret = name in options && 'secret' in options[name as OptionName]
  const shown = received === undefined || secret ? '' : ` (got ${JSON.stringify(received)})`
  return `${name}: ${message}${shown}`
}
