/**
 * Rate limits shared by two facilitator nodes (issue 9, item 3): on PostgreSQL (the ledger's
 * database) and on Redis, requests from one client address split between the nodes hit `429
 * rate_limited` with `Retry-After` at the one shared bound, not at twice it. Loopback only; each
 * run uses its own schema or key prefix.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { databaseUrl, dropSchema, postgresAvailable, uniqueSchema } from '../ledger/postgres.ts'

const redisUrl = process.env.TOLLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const limit = 6
const requests = 10

let chain: LocalChain
beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(() => chain?.stop())

async function redisAvailable(): Promise<boolean> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    if (process.env.CI) throw new Error(`Redis is not reachable at ${redisUrl}`)
    return false
  } finally {
    client.disconnect()
  }
}

/** Two nodes (signers: dev keys #0 and #9), each with `envOf(index)`, and a per-address limit of {@link limit} a minute. */
async function startNodes(envOf: (index: number) => Record<string, string>): Promise<RunningFacilitator[]> {
  const keys = [devPrivateKeys[0], devPrivateKeys[9]]
  const nodes: RunningFacilitator[] = []
  try {
    for (const [index, key] of keys.entries()) {
      nodes.push(
        await startFacilitator(
          {
            TOLLGATE_PORT: '0',
            TOLLGATE_SIGNER_KEY: key as string,
            TOLLGATE_NETWORKS: chain.network,
            [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
            TOLLGATE_RATE_LIMIT_PER_MINUTE: String(limit),
            TOLLGATE_AUTH: 'off',
            TOLLGATE_RECONCILE_INTERVAL_MS: '0',
            ...envOf(index),
          },
          { logError: () => undefined },
        ),
      )
    }
    return nodes
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    throw error
  }
}

/** {@link requests} requests from this client, alternating between the nodes, one after the other. */
async function alternate(nodes: readonly RunningFacilitator[]) {
  const answers: { status: number; retryAfter: string | null; error: unknown }[] = []
  for (let i = 0; i < requests; i++) {
    const node = nodes[i % nodes.length] as RunningFacilitator
    const response = await fetch(`${node.url}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const body = (await response.json()) as { error?: unknown }
    answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), error: body.error })
  }
  return answers
}

function expectSharedBound(answers: Awaited<ReturnType<typeof alternate>>) {
  // The first `limit` pass the limiter (and are refused as malformed bodies); the rest are limited.
  expect(answers.slice(0, limit).map((answer) => answer.status)).toEqual(Array(limit).fill(400))
  for (const answer of answers.slice(limit)) {
    expect(answer).toMatchObject({ status: 429, error: 'rate_limited' })
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Number(answer.retryAfter)).toBeLessThanOrEqual(60)
  }
}

describe('rate limits shared between two nodes', () => {
  test('on PostgreSQL: the bound holds across the nodes, with Retry-After', async (context) => {
    if (!(await postgresAvailable('rate limits on PostgreSQL'))) return context.skip()
    const schema = uniqueSchema('limits')
    try {
      const nodes = await startNodes((index) => ({
        TOLLGATE_DATABASE_URL: databaseUrl,
        TOLLGATE_DATABASE_SCHEMA: schema,
        TOLLGATE_NODE_ID: `limits-${index}`,
      }))
      try {
        expectSharedBound(await alternate(nodes))
        // /health is never limited.
        expect((await fetch(`${nodes[0]?.url}/health`)).status).toBe(200)
      } finally {
        await Promise.all(nodes.map((node) => node.stop()))
      }
    } finally {
      await dropSchema(schema)
    }
  }, 60_000)

  test('on Redis: the bound holds across the nodes, with Retry-After', async (context) => {
    if (!(await redisAvailable())) return context.skip()
    const prefix = `tg_test_${process.pid}_${Date.now().toString(36)}`
    const dataDirs = ['a', 'b'].map((name) => `${process.env.TMPDIR ?? '/tmp'}/${prefix}_${name}`)
    let nodes: RunningFacilitator[] = []
    try {
      // Separate SQLite ledgers: only the limiter is shared, through Redis.
      nodes = await startNodes((index) => ({
        TOLLGATE_REDIS_URL: redisUrl,
        TOLLGATE_RATE_LIMIT_PREFIX: prefix,
        TOLLGATE_DATA_DIR: dataDirs[index] as string,
      }))
      expectSharedBound(await alternate(nodes))
    } finally {
      await Promise.all(nodes.map((node) => node.stop()))
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
      client.on('error', () => undefined)
      try {
        const keys = await client.keys(`${prefix}*`)
        if (keys.length > 0) await client.del(...keys)
      } finally {
        client.disconnect()
      }
      const { rm } = await import('node:fs/promises')
      for (const dir of dataDirs) await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
