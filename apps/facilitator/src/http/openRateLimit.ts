import { Redis } from 'ioredis'
import type pg from 'pg'
import type { Config } from '../config/parseConfig.ts'
import type { CloserStack } from '../ops/createCloserStack.ts'
import { createRateLimit, type RateLimit, type RateLimitStore } from './rateLimit.ts'

/**
 * The rate limits of `config.rateLimit`, or `undefined` when both are off. Counters shared by the
 * nodes: Redis when configured (one that cannot be reached at start fails the start; one lost later
 * falls back to memory), else the ledger's PostgreSQL (its `pool`, the caller's to end), else memory. The connection and the limiter's
 * timers are deferred on `closers`.
 */
export async function openRateLimit(
  closers: CloserStack,
  { config, pool }: { config: Config; pool: pg.Pool | undefined },
): Promise<RateLimit | undefined> {
  const { rateLimit: limits } = config
  if (limits.perAddress <= 0 && limits.perKey <= 0) return undefined
  let store: RateLimitStore = { kind: 'memory' }
  if (limits.store === 'redis' && limits.redisUrl) {
    const client = new Redis(limits.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5_000,
    })
    client.on('error', () => undefined)
    closers.defer(() => client.quit().catch(() => client.disconnect()))
    await client.connect()
    store = { kind: 'redis', client }
  } else if (limits.store === 'postgres' && pool) {
    store = { kind: 'postgres', pool, schema: config.databaseSchema }
  }
  const rateLimit = await createRateLimit({
    perAddress: limits.perAddress,
    perKey: limits.perKey,
    store,
    trustProxy: limits.trustProxy,
    keyPrefix: limits.keyPrefix,
  })
  closers.defer(() => rateLimit.close())
  return rateLimit
}
