import { ConfigError } from '@tollgate/protocol'
import { describe, expect, test } from 'vitest'
import { parseConfig } from './parseConfig.ts'

const key = `0x${'11'.repeat(32)}`
const base = { TOLLGATE_SIGNER_KEY: key, TOLLGATE_RPC_URL_8453: 'http://127.0.0.1:8545' }

const problem = (env: Record<string, string | undefined>) => {
  try {
    parseConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error('expected a ConfigError')
}

describe('parseConfig', () => {
  test('default: the defaults', () => {
    expect(parseConfig(base)).toMatchInlineSnapshot(`
      {
        "auth": {
          "jwksFile": undefined,
          "jwtHost": undefined,
          "keyCacheMs": 5000,
          "mode": "on",
        },
        "batch": undefined,
        "coolOffSeconds": 600,
        "dataDir": "./.data",
        "databaseSchema": "public",
        "databaseUrl": undefined,
        "discovery": {
          "optOut": Set {},
        },
        "eip6492Factories": [],
        "gasPolicy": {
          "ethPrice": "4000",
          "maxShare": "0.5",
        },
        "host": "127.0.0.1",
        "logLevel": "info",
        "maxBatchedGasShare": "1",
        "maxFeePerGas": 100000000000n,
        "maxGasLossPerHour": 10000n,
        "maxInFlightPerPayer": 16,
        "maxPriorityFeePerGas": 1000000n,
        "metrics": undefined,
        "minAmount": 1000n,
        "minAmounts": {},
        "networks": [
          {
            "chainId": 8453,
            "network": "eip155:8453",
            "rpcUrl": "http://127.0.0.1:8545",
          },
        ],
        "nodeId": undefined,
        "optimistic": {
          "maxPerPayer": 1000000n,
          "maxPerSeller": 100000000n,
        },
        "payerQueueWaitMs": 15000,
        "pollingIntervalMs": 250,
        "port": 4020,
        "rateLimit": {
          "keyPrefix": "tollgate",
          "perAddress": 600,
          "perKey": 600000,
          "redisUrl": undefined,
          "store": "memory",
          "trustProxy": false,
        },
        "readyMinBalance": 1000000000000000n,
        "receiptBlockTag": "latest",
        "receiptTimeoutMs": 30000,
        "receipts": {
          "algorithm": "ES256",
          "didWebOrigin": undefined,
          "keysFile": undefined,
        },
        "reconcileIntervalMs": 30000,
        "reconcileStaleSeconds": 60,
        "replaceAfterMs": 15000,
        "reservationSeconds": 120,
        "screening": {
          "allow": [],
          "deny": [],
          "listInDatabase": false,
          "listPath": undefined,
          "maxAgeSeconds": 172800n,
          "onError": {
            "ofac": "block",
            "oracle": "block",
            "usdc": "block",
          },
          "oracles": Map {
            8453 => "0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B",
          },
          "removalAlertRatio": 0.2,
          "update": {
            "maxBytes": 400000000,
            "minBytes": 1000000,
            "redirectHosts": [
              "s3.us-gov-west-1.amazonaws.com",
            ],
            "refreshSeconds": 86400,
            "timeoutMs": 300000,
            "url": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML",
          },
        },
        "sendSync": {
          "mode": "auto",
          "timeoutMs": 2000,
        },
        "shutdownTimeoutMs": 30000,
        "signerKey": "0x1111111111111111111111111111111111111111111111111111111111111111",
        "signerKeys": [],
        "signerLeaseSeconds": 6,
      }
    `)
    expect(Object.isFrozen(parseConfig(base))).toBe(true)
  })

  test('behavior: every variable', () => {
    const config = parseConfig({
      ...base,
      TOLLGATE_HOST: '0.0.0.0',
      TOLLGATE_PORT: '0',
      TOLLGATE_NETWORKS: 'base, base-sepolia, eip155:8453',
      TOLLGATE_RPC_URL_84532: 'https://sepolia.base.org/',
      TOLLGATE_DATA_DIR: '/var/lib/tollgate',
      TOLLGATE_EIP6492_FACTORIES:
        '0x0000000000000000000000000000000000006492,0x0000000000000000000000000000000000006493',
      TOLLGATE_RECEIPT_TIMEOUT_MS: '5000',
      TOLLGATE_POLLING_INTERVAL_MS: '50',
      TOLLGATE_RECONCILE_INTERVAL_MS: '0',
      TOLLGATE_RECONCILE_STALE_SECONDS: '5',
      TOLLGATE_DATABASE_URL: 'postgres://tollgate:secret@db.internal:5432/ledger',
      TOLLGATE_DATABASE_SCHEMA: 'node_ledger',
      TOLLGATE_RESERVATION_SECONDS: '30',
      TOLLGATE_SIGNER_LEASE_SECONDS: '10',
      TOLLGATE_NODE_ID: 'node-a.eu-1',
    })
    expect(config).toMatchObject({
      databaseUrl: 'postgres://tollgate:secret@db.internal:5432/ledger',
      databaseSchema: 'node_ledger',
      reservationSeconds: 30,
      host: '0.0.0.0',
      port: 0,
      networks: [
        { network: 'eip155:8453', chainId: 8453 },
        { network: 'eip155:84532', chainId: 84532, rpcUrl: 'https://sepolia.base.org' },
      ],
      dataDir: '/var/lib/tollgate',
      eip6492Factories: ['0x0000000000000000000000000000000000006492', '0x0000000000000000000000000000000000006493'],
      receiptTimeoutMs: 5000,
      pollingIntervalMs: 50,
      reconcileIntervalMs: 0,
      reconcileStaleSeconds: 5,
      signerLeaseSeconds: 10,
      nodeId: 'node-a.eu-1',
    })
  })

  test('behavior: TOLLGATE_DATABASE_URL must be a postgres URL and is never echoed', () => {
    const message = problem({ ...base, TOLLGATE_DATABASE_URL: 'mysql://root:hunter2@db/x' })
    expect(message).toMatch(/^Invalid configuration: TOLLGATE_DATABASE_URL: expected a postgres:\/\/ URL/)
    expect(message).not.toContain('hunter2')
  })

  test('behavior: signer pool, batching, replacement and gas policy variables', () => {
    const other = `0x${'22'.repeat(32)}`
    const config = parseConfig({
      ...base,
      TOLLGATE_SIGNER_KEYS: ` ${other}, ${`0x${'33'.repeat(32)}`} `,
      TOLLGATE_BATCH_SIZE: '50',
      TOLLGATE_BATCH_WAIT_MS: '200',
      TOLLGATE_REPLACE_AFTER_MS: '10000',
      TOLLGATE_MAX_FEE_PER_GAS: '50000000000',
      TOLLGATE_ETH_USD: '3000.5',
      TOLLGATE_MAX_GAS_SHARE: '0.25',
    })
    expect(config).toMatchObject({
      signerKeys: [other, `0x${'33'.repeat(32)}`],
      batch: { maxSize: 50, maxWaitMs: 200 },
      replaceAfterMs: 10_000,
      maxFeePerGas: 50_000_000_000n,
      gasPolicy: { ethPrice: '3000.5', maxShare: '0.25' },
    })
    expect(parseConfig({ ...base, TOLLGATE_BATCH_SIZE: '1' }).batch).toBeUndefined()
    expect(parseConfig({ ...base, TOLLGATE_REPLACE_AFTER_MS: '0' }).replaceAfterMs).toBe(Number.POSITIVE_INFINITY)
    expect(() => parseConfig({ ...base, TOLLGATE_REPLACE_AFTER_MS: '100' })).toThrow(/TOLLGATE_REPLACE_AFTER_MS/)
    expect(() => parseConfig({ ...base, TOLLGATE_MAX_FEE_PER_GAS: '0' })).toThrow(/TOLLGATE_MAX_FEE_PER_GAS/)
    expect(() => parseConfig({ ...base, TOLLGATE_SIGNER_KEYS: '0x1234' })).toThrow(/TOLLGATE_SIGNER_KEYS/)
    try {
      parseConfig({ ...base, TOLLGATE_SIGNER_KEYS: `${other},0x1234` })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('22222222')
    }
    expect(() => parseConfig({ ...base, TOLLGATE_ETH_USD: '3e3', TOLLGATE_MAX_GAS_SHARE: '0.5' })).toThrow(
      /TOLLGATE_ETH_USD/,
    )
  })

  // --- limits (issue 9, items 2 and 3) ---
  test('behavior: the gas policy is on by default; TOLLGATE_MAX_GAS_SHARE=off turns it off', () => {
    expect(parseConfig(base).gasPolicy).toEqual({ ethPrice: '4000', maxShare: '0.5' })
    expect(parseConfig({ ...base, TOLLGATE_ETH_USD: '3000' }).gasPolicy).toEqual({ ethPrice: '3000', maxShare: '0.5' })
    expect(parseConfig({ ...base, TOLLGATE_MAX_GAS_SHARE: 'off' }).gasPolicy).toBeUndefined()
    expect(() => parseConfig({ ...base, TOLLGATE_MAX_GAS_SHARE: 'half' })).toThrow(/TOLLGATE_MAX_GAS_SHARE/)
  })

  test('behavior: abuse and rate limit variables', () => {
    const asset = `0x${'ab'.repeat(20)}`
    const config = parseConfig({
      ...base,
      TOLLGATE_MIN_AMOUNT: '5000',
      TOLLGATE_MIN_AMOUNTS: `${asset.toUpperCase().replace('0X', '0x')}:20000`,
      TOLLGATE_COOL_OFF_SECONDS: '0',
      TOLLGATE_MAX_IN_FLIGHT_PER_PAYER: '2',
      TOLLGATE_RATE_LIMIT_PER_MINUTE: '100',
      TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE: '0',
      TOLLGATE_REDIS_URL: 'redis://127.0.0.1:6379',
      TOLLGATE_TRUST_PROXY: 'true',
      TOLLGATE_RATE_LIMIT_PREFIX: 'edge_a',
    })
    expect(config).toMatchObject({
      minAmount: 5_000n,
      minAmounts: { [asset]: 20_000n },
      coolOffSeconds: 0,
      maxInFlightPerPayer: 2,
      rateLimit: {
        perAddress: 100,
        perKey: 0,
        store: 'redis',
        redisUrl: 'redis://127.0.0.1:6379',
        trustProxy: true,
        keyPrefix: 'edge_a',
      },
    })
    expect(parseConfig({ ...base, TOLLGATE_DATABASE_URL: 'postgres://u@h/db' }).rateLimit.store).toBe('postgres')
    expect(() => parseConfig({ ...base, TOLLGATE_RATE_LIMIT_STORE: 'redis' })).toThrow(/needs TOLLGATE_REDIS_URL/)
    expect(() => parseConfig({ ...base, TOLLGATE_MIN_AMOUNTS: 'usdc:5' })).toThrow(/TOLLGATE_MIN_AMOUNTS/)
    const secret = problem({ ...base, TOLLGATE_REDIS_URL: 'http://user:secret@host' })
    expect(secret).toMatch(/TOLLGATE_REDIS_URL/)
    expect(secret).not.toContain('secret')
  })
  // --- end limits ---

  test('behavior: the error names the bad variable', () => {
    expect(problem({ ...base, TOLLGATE_PORT: 'eighty' })).toMatchInlineSnapshot(
      `"Invalid configuration: TOLLGATE_PORT: expected an integer from 0 to 65535 (got "eighty")"`,
    )
    expect(problem({ ...base, TOLLGATE_PORT: '70000' })).toMatch(/^Invalid configuration: TOLLGATE_PORT:/)
    expect(problem({ ...base, TOLLGATE_NETWORKS: 'base,moon' })).toMatchInlineSnapshot(
      `"Invalid configuration: TOLLGATE_NETWORKS: unknown network "moon"; use CAIP-2 ids such as eip155:8453 or v1 names such as base"`,
    )
    expect(problem({ ...base, TOLLGATE_NETWORKS: 'base-sepolia' })).toMatchInlineSnapshot(
      `"Invalid configuration: TOLLGATE_RPC_URL_84532: is required because TOLLGATE_NETWORKS enables eip155:84532"`,
    )
    expect(problem({ ...base, TOLLGATE_RPC_URL_8453: 'ws://127.0.0.1:8545' })).toMatch(
      /^Invalid configuration: TOLLGATE_RPC_URL_8453: expected an http\(s\) URL/,
    )
    expect(problem({ ...base, TOLLGATE_EIP6492_FACTORIES: '0x12' })).toMatch(
      /^Invalid configuration: TOLLGATE_EIP6492_FACTORIES:/,
    )
  })

  test('behavior: the signer key is required and never echoed', () => {
    expect(problem({ TOLLGATE_RPC_URL_8453: 'http://127.0.0.1:8545' })).toMatchInlineSnapshot(
      `"Invalid configuration: TOLLGATE_SIGNER_KEY: is required: the settlement signer private key (0x + 64 hex digits)"`,
    )
    const secret = '0xnotakeybutsecret'
    const message = problem({ ...base, TOLLGATE_SIGNER_KEY: secret })
    expect(message).toMatch(/^Invalid configuration: TOLLGATE_SIGNER_KEY:/)
    expect(message).not.toContain(secret)
  })

  test('behavior: every problem is listed in details', () => {
    try {
      parseConfig({ TOLLGATE_PORT: 'x', TOLLGATE_NETWORKS: 'moon' })
    } catch (error) {
      expect((error as ConfigError).details).toHaveLength(2)
    }
  })
})

describe('parseConfig: auth', () => {
  test('behavior: auth is on by default; off, a JWKS file, a JWT host and the key cache are read', () => {
    expect(parseConfig(base).auth).toEqual({ mode: 'on', jwksFile: undefined, jwtHost: undefined, keyCacheMs: 5000 })
    expect(parseConfig({ ...base, TOLLGATE_DISCOVERY: 'off' }).discovery).toBeUndefined()
    expect(
      parseConfig({ ...base, TOLLGATE_DISCOVERY_OPT_OUT: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' }).discovery
        ?.optOut,
    ).toEqual(new Set(['0x70997970c51812dc3a010c7d01b50e0d17dc79c8']))
    expect(
      parseConfig({
        ...base,
        TOLLGATE_AUTH: 'off',
        TOLLGATE_AUTH_JWKS_FILE: '/etc/tollgate/jwks.json',
        TOLLGATE_AUTH_JWT_HOST: 'facilitator.example.com',
        TOLLGATE_AUTH_KEY_CACHE_MS: '0',
      }).auth,
    ).toEqual({ mode: 'off', jwksFile: '/etc/tollgate/jwks.json', jwtHost: 'facilitator.example.com', keyCacheMs: 0 })
  })

  test('behavior: a JWKS file without TOLLGATE_AUTH_JWT_HOST refuses to start, naming the variable', () => {
    // The public host is configuration: a request's Host header is the caller's to write.
    const message = problem({ ...base, TOLLGATE_AUTH_JWKS_FILE: '/etc/tollgate/jwks.json' })
    expect(message).toMatch(/^Invalid configuration: TOLLGATE_AUTH_JWT_HOST: is required with TOLLGATE_AUTH_JWKS_FILE/)
    expect(message).toContain("a request's Host header is the caller's to write")
    expect(
      parseConfig({ ...base, TOLLGATE_AUTH_JWKS_FILE: 'jwks.json', TOLLGATE_AUTH_JWT_HOST: 'f.example:8443' }).auth,
    ).toMatchObject({ jwksFile: 'jwks.json', jwtHost: 'f.example:8443' })
    // API keys only (no JWKS), or auth off: no host needed.
    expect(parseConfig(base).auth.jwtHost).toBeUndefined()
    expect(parseConfig({ ...base, TOLLGATE_AUTH: 'off', TOLLGATE_AUTH_JWKS_FILE: 'jwks.json' }).auth.mode).toBe('off')
  })

  test('behavior: a bad auth value names the variable', () => {
    expect(() => parseConfig({ ...base, TOLLGATE_AUTH: 'maybe' })).toThrow(
      'Invalid configuration: TOLLGATE_AUTH: expected on or off (got "maybe")',
    )
    expect(() => parseConfig({ ...base, TOLLGATE_AUTH_KEY_CACHE_MS: '-1' })).toThrow('TOLLGATE_AUTH_KEY_CACHE_MS')
  })

  test('behavior: screening is on by default without a list; off is explicit; the list and its updates read their options', () => {
    // On by default: the USDC blacklist and the oracle need no download; the OFAC list is where one is configured.
    expect(parseConfig(base).screening).toMatchObject({ listPath: undefined, listInDatabase: false })
    expect(parseConfig({ ...base, TOLLGATE_SCREENING: 'on' }).screening).toMatchObject({ listPath: undefined })
    expect(parseConfig({ ...base, TOLLGATE_SCREENING: 'off' }).screening).toBeUndefined()
    expect(problem({ ...base, TOLLGATE_SANCTIONS_LIST: 'postgres' })).toBe(
      'Invalid configuration: TOLLGATE_SANCTIONS_LIST: postgres needs TOLLGATE_DATABASE_URL (the shared database)',
    )
    expect(
      parseConfig({
        ...base,
        TOLLGATE_DATABASE_URL: 'postgres://db.internal/ledger',
        TOLLGATE_SANCTIONS_LIST: 'postgres',
        TOLLGATE_SANCTIONS_URL: 'https://mirror.example/SDN_ADVANCED.XML',
        TOLLGATE_SANCTIONS_REFRESH_SECONDS: '0',
        TOLLGATE_SANCTIONS_REDIRECT_HOSTS: 'Files.Example, s3.example',
      }).screening,
    ).toMatchObject({
      listPath: undefined,
      listInDatabase: true,
      update: {
        url: 'https://mirror.example/SDN_ADVANCED.XML',
        refreshSeconds: 0,
        timeoutMs: 300_000,
        maxBytes: 400_000_000,
        minBytes: 1_000_000,
        redirectHosts: ['files.example', 's3.example'],
      },
    })
    expect(problem({ ...base, TOLLGATE_SANCTIONS_URL: 'ftp://ofacftp.treas.gov/' })).toMatch(/TOLLGATE_SANCTIONS_URL/)
    const on = parseConfig({ ...base, TOLLGATE_SCREENING: 'on', TOLLGATE_SANCTIONS_LIST: '/var/lib/ofac.json' })
    expect(on.screening).toMatchObject({
      listPath: '/var/lib/ofac.json',
      maxAgeSeconds: 172_800n,
      removalAlertRatio: 0.2,
      onError: { ofac: 'block', usdc: 'block', oracle: 'block' },
      deny: [],
      allow: [],
    })
    expect([...(on.screening?.oracles ?? [])]).toEqual([[8453, '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B']])
    const custom = parseConfig({
      ...base,
      TOLLGATE_SCREENING: 'on',
      TOLLGATE_SANCTIONS_LIST: 'list.json',
      TOLLGATE_SANCTIONS_MAX_AGE_HOURS: '6',
      TOLLGATE_SCREENING_ORACLES: 'off',
      TOLLGATE_SCREENING_ON_ERROR: 'oracle=allow,ofac=block',
      TOLLGATE_SCREENING_DENY: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    }).screening
    expect(custom).toMatchObject({ maxAgeSeconds: 21_600n, onError: { oracle: 'allow', ofac: 'block' } })
    expect(custom?.oracles.size).toBe(0)
    expect(
      problem({
        ...base,
        TOLLGATE_SCREENING: 'on',
        TOLLGATE_SANCTIONS_LIST: 'list.json',
        TOLLGATE_SCREENING_DENY: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        TOLLGATE_SCREENING_ALLOW: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8',
      }),
    ).toMatch(/TOLLGATE_SCREENING_ALLOW: .* is also in TOLLGATE_SCREENING_DENY/)
    expect(problem({ ...base, TOLLGATE_SCREENING_ON_ERROR: 'oracle=maybe' })).toMatch(/TOLLGATE_SCREENING_ON_ERROR/)
  })
})
