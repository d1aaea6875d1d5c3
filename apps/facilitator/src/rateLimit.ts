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
  /** Requests per client address per minute; `0`: no limit by address. */
  perAddress: number
  /** Requests per API key (`c.get('caller').keyId`) per minute; `0`: no limit by key. */
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
  /** Both limits at once: for an app whose caller is known before it runs. */
  middleware: MiddlewareHandler
  /** The limit per client address alone: before authentication, so guessing keys is limited too. */
  byAddress: MiddlewareHandler
  /** The limit per API key alone: after authentication has set `c.get('caller')`. */
  byKey: MiddlewareHandler
  close(): void
}

/** The authenticated caller the auth middleware sets (issue 9, item 1); only `keyId` is read here. */
type Caller = { keyId?: unknown } | undefined

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
 * Rate limits per client address and per API key, shared by every node through the store
 * (rate-limiter-flexible: `RateLimiterRedis`, `RateLimiterPostgres`, or `RateLimiterMemory` for one
 * node), fixed one-minute windows. A request over either limit gets `429` with `Retry-After`
 * (seconds) and `{ error: 'rate_limited', message }`. When the shared store cannot be reached the
 * counting falls back to this node's memory (the limit then holds per node) rather than failing
 * requests or letting them through unlimited.
 *
 * @example
 * import { createRateLimit } from './rateLimit.ts'
 * const limit = await createRateLimit({ perAddress: 600, perKey: 6000, store: { kind: 'memory' } })
 * app.use('*', limit.middleware)
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
  const byAddressOnly: MiddlewareHandler = async function rateLimitByAddress(c, next) {
    if (skipped.has(c.req.path)) return next()
    const wait = await consume(byAddress, clientAddress(c, trustProxy))
    return wait ? refuse(c, wait) : next()
  }
  const byKeyOnly: MiddlewareHandler = async function rateLimitByKey(c, next) {
    const caller = (c.get as (key: string) => unknown)('caller') as Caller
    const keyId = typeof caller?.keyId === 'string' ? caller.keyId : undefined
    const wait = keyId === undefined ? undefined : await consume(byKey, keyId)
    return wait ? refuse(c, wait) : next()
  }

  return {
    byAddress: byAddressOnly,
    byKey: byKeyOnly,
    middleware: async function rateLimit(c, next) {
      if (skipped.has(c.req.path)) return next()
      const caller = (c.get as (key: string) => unknown)('caller') as Caller
      const keyId = typeof caller?.keyId === 'string' ? caller.keyId : undefined
      const waits = await Promise.all([
        consume(byAddress, clientAddress(c, trustProxy)),
        keyId === undefined ? undefined : consume(byKey, keyId),
      ])
      const wait = Math.max(0, ...waits.map((seconds) => seconds ?? 0))
      return wait > 0 ? refuse(c, wait) : next()
    },
    close() {
      // RateLimiterPostgres' expiry sweep is an unref'd timer; nothing else holds the process.
      limiters.length = 0
    },
  }
}
