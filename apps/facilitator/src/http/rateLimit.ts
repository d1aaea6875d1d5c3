import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterStoreAbstract,
} from 'rate-limiter-flexible'

/** Where the counters live: this process, or a store every node shares. */
export type RateLimitStore =
  | { kind: 'memory' }
  | { kind: 'postgres'; pool: pg.Pool; schema?: string }
  | { kind: 'redis'; client: Redis }

export type CreateRateLimitOptions = {
  /**
   * Requests per client address per minute of whatever comes before authentication: requests
   * without valid credentials (key guessing) and public routes. `0`: no limit by address.
   */
  perAddress: number
  /**
   * Requests per API key (`c.get('caller').keyId`) per minute: requests with valid credentials,
   * counted by key only (never by address). `0`: no limit by key.
   */
  perKey: number
  store: RateLimitStore
  /** Behind one reverse proxy that appends the client to `X-Forwarded-For`: the address is its last entry. Default `false`. */
  trustProxy?: boolean
  /** Prefix of the counters' keys (one per deployment sharing a store). Default `tollgate`. */
  keyPrefix?: string
  /** Paths never limited (liveness and scraping). Default `/health`, `/ready`, `/metrics`. */
  exempt?: readonly string[]
}

/** The rate-limit middleware, and `close()` for its timers (the store's connection is the caller's). */
export type RateLimit = {
  /**
   * The limit of whoever asks, after the caller's credentials were checked (`c.get('caller')`): a
   * caller with valid credentials by its key alone, anything else by its address.
   */
  middleware: MiddlewareHandler
  /** Whether `path` is never limited (`exempt`): nothing needs to be known about its caller first. */
  isExempt(path: string): boolean
  close(): void
}

/** The authenticated caller the auth middleware sets (issue 9, item 1); only `kind` and `keyId` are read here. */
type Caller = { kind?: unknown; keyId?: unknown } | undefined

/**
 * The client's address: the socket's (under `@hono/node-server`), or with `trustProxy` the last
 * `X-Forwarded-For` entry (the one our proxy appended; earlier entries are the client's to forge).
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')
    const last = forwarded
      ?.split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .at(-1)
    if (last) return last.slice(0, 64)
  }
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming
  return incoming?.socket?.remoteAddress ?? 'unknown'
}

const minute = 60

/** A PostgreSQL limiter, once its table exists (two nodes creating it at once: the loser tries again). */
async function postgresLimiter(
  options: ConstructorParameters<typeof RateLimiterPostgres>[0],
): Promise<RateLimiterPostgres> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<RateLimiterPostgres>((resolve, reject) => {
        const limiter: RateLimiterPostgres = new RateLimiterPostgres(options, (error?: unknown) =>
          error ? reject(error) : resolve(limiter),
        )
      })
    } catch (error) {
      if (attempt >= 2) throw error
    }
  }
}

/**
 * Rate limits per API key and per client address, shared by every node through the store
 * (rate-limiter-flexible: `RateLimiterRedis`, `RateLimiterPostgres`, or `RateLimiterMemory` for one
 * node), fixed one-minute windows. A request whose credentials were accepted (the auth middleware
 * set `c.get('caller')`) counts against its key only: a seller behind one address (a NAT, a
 * Workers egress shared with others) is never throttled for its address, nor for its neighbours'
 * bad requests. Anything else (no or bad credentials, public routes) counts against the client's
 * address, so guessing keys and scraping are limited. A request over its limit gets `429` with
 * `Retry-After` (seconds) and `{ error: 'rate_limited', message }`. When the shared store cannot be reached the
 * counting falls back to this node's memory (the limit then holds per node) rather than failing
 * requests or letting them through unlimited.
 *
 * @example
 * import { createRateLimit } from './rateLimit.ts'
 * const limit = await createRateLimit({ perAddress: 600, perKey: 600_000, store: { kind: 'memory' } })
 * app.use('*', identifyCaller(authenticate), limit.middleware)
 */
export async function createRateLimit({
  perAddress,
  perKey,
  store,
  trustProxy = false,
  keyPrefix = 'tollgate',
  exempt = ['/health', '/ready', '/metrics'],
}: CreateRateLimitOptions): Promise<RateLimit> {
  const limiters: RateLimiterStoreAbstract[] = []
  const build = async (points: number, name: string) => {
    if (points <= 0) return undefined
    const common = { points, duration: minute, keyPrefix: `${keyPrefix}_${name}` }
    if (store.kind === 'memory') return new RateLimiterMemory(common)
    const insuranceLimiter = new RateLimiterMemory(common)
    let limiter: RateLimiterStoreAbstract
    if (store.kind === 'redis') {
      limiter = new RateLimiterRedis({
        ...common,
        storeClient: store.client,
        insuranceLimiter,
        rejectIfRedisNotReady: true,
      })
    } else {
      limiter = await postgresLimiter({
        ...common,
        storeClient: store.pool,
        storeType: 'pool',
        tableName: `${keyPrefix}_rate_limits`,
        ...(store.schema ? { schemaName: store.schema } : {}),
        insuranceLimiter,
        clearExpiredByTimeout: true,
      })
    }
    limiters.push(limiter)
    return limiter
  }
  // One after the other: the first creates the PostgreSQL table the second then finds.
  const byAddress = await build(perAddress, 'address')
  const byKey = await build(perKey, 'key')
  const skipped = new Set(exempt)

  const consume = async (limiter: RateLimiterMemory | RateLimiterStoreAbstract | undefined, key: string) => {
    if (!limiter) return undefined
    try {
      await limiter.consume(key)
      return undefined
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))
      throw rejection // not a limit: the store failed and had no insurance
    }
  }

  const refuse = (c: Context, wait: number) => {
    c.header('Retry-After', String(wait))
    return c.json({ error: 'rate_limited', message: `Too many requests; retry in ${wait} s.` }, 429)
  }
  return {
    isExempt: (path) => skipped.has(path),
    middleware: async function rateLimit(c, next) {
      if (skipped.has(c.req.path)) return next()
      const caller = (c.get as (key: string) => unknown)('caller') as Caller
      // By kind and id: a JWT's kid that happens to spell an API key's id keeps its own counter.
      const key = typeof caller?.keyId === 'string' ? `${String(caller.kind ?? 'key')}:${caller.keyId}` : undefined
      const wait =
        key === undefined ? await consume(byAddress, clientAddress(c, trustProxy)) : await consume(byKey, key)
      return wait ? refuse(c, wait) : next()
    },
    close() {
      // RateLimiterPostgres' expiry sweep is an unref'd timer; nothing else holds the process.
      limiters.length = 0
    },
  }
}
