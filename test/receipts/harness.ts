/**
 * The receipts suites' stack on loopback: anvil (Base, chain id 8453), the real facilitator service
 * (SQLite ledger and receipt keys in a temporary data folder, auth on, a seller key for the demo's
 * payTo and another seller's key), and the demo API paying through it. The facilitator can be
 * restarted on the same port and data folder (key rotation).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { x402Client, x402HTTPClient } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import type { LocalAccount } from 'viem'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type ApiKeyStore, createApiKey, createMemoryApiKeyStore } from '../../apps/facilitator/src/http/apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

export type ReceiptStack = {
  chain: LocalChain
  facilitator: RunningFacilitator
  demo: RunningDemo
  dataDir: string
  /** The demo's key: verify, settle, release for the seller only. */
  sellerKey: string
  /** Another seller's key (another payTo). */
  otherKey: string
  /** Stops the facilitator and starts it again on the same port and data folder. */
  restartFacilitator(env?: Record<string, string>): Promise<void>
  stop(): Promise<void>
}

async function keyFor(keys: ApiKeyStore, payTo: `0x${string}`): Promise<string> {
  const { key, record } = await createApiKey({
    scopes: ['verify', 'settle', 'release'],
    payTo: [payTo],
    label: 'receipts tests',
    now: BigInt(Math.floor(Date.now() / 1000)),
  })
  await keys.insert(record)
  return key
}

/** Starts chain, facilitator (`env` adds to its configuration) and demo. */
export async function startReceiptStack(
  env: Record<string, string> = {},
  chainOptions: Parameters<typeof startLocalChain>[0] = {},
): Promise<ReceiptStack> {
  const chain = await startLocalChain(chainOptions)
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-receipts-'))
  const apiKeys = createMemoryApiKeyStore()
  const sellerKey = await keyFor(apiKeys, chain.accounts.seller.address)
  const otherKey = await keyFor(apiKeys, chain.accounts.payers[7].address)
  // The API keys outlive a facilitator restart (the service closes its store on stop).
  const keys: ApiKeyStore = { ...apiKeys, close: async () => undefined }
  const start = (port: string, extra: Record<string, string>) =>
    startFacilitator(
      {
        TOLLGATE_HOST: '127.0.0.1',
        TOLLGATE_PORT: port,
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_NETWORKS: chain.network,
        [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
        TOLLGATE_DATA_DIR: dataDir,
        TOLLGATE_LOG_LEVEL: 'silent',
        ...env,
        ...extra,
      },
      { logError: () => {}, apiKeys: keys },
    )
  let facilitator: RunningFacilitator
  try {
    facilitator = await start('0', {})
  } catch (error) {
    await chain.stop()
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
  const demo = await startDemo(
    parseDemoConfig({
      TOLLGATE_DEMO_HOST: '127.0.0.1',
      TOLLGATE_DEMO_PORT: '0',
      TOLLGATE_FACILITATOR_URL: facilitator.url,
      TOLLGATE_FACILITATOR_API_KEY: sellerKey,
      TOLLGATE_PAY_TO: chain.accounts.seller.address,
      TOLLGATE_NETWORK: chain.network,
    }),
  )
  const stack: ReceiptStack = {
    chain,
    facilitator,
    demo,
    dataDir,
    sellerKey,
    otherKey,
    async restartFacilitator(extra = {}) {
      const port = String(stack.facilitator.port)
      await stack.facilitator.stop()
      stack.facilitator = await start(port, extra)
    },
    async stop() {
      try {
        await demo.stop()
        await stack.facilitator.stop()
      } finally {
        await chain.stop()
        await rm(dataDir, { recursive: true, force: true })
      }
    },
  }
  return stack
}

/** A payment header for `url` signed by the official v2 client (`@x402/core`, `@x402/evm`) from the 402. */
export async function signPayment(payer: LocalAccount, url: string): Promise<Record<string, string>> {
  const client = new x402Client().register('eip155:8453', new ExactEvmScheme(payer))
  const http = new x402HTTPClient(client)
  const unpaid = await fetch(url)
  if (unpaid.status !== 402) throw new Error(`expected 402 from ${url}, got ${unpaid.status}`)
  const payload = await client.createPaymentPayload(http.getPaymentRequiredResponse((name) => unpaid.headers.get(name)))
  return http.encodePaymentSignatureHeader(payload) as Record<string, string>
}

/** `0x` and the SHA-256 of bytes (the response body as received). */
export async function sha256(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return `0x${Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await read()
    if (done(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
