/**
 * The facilitator the middleware suites pay through: Tollgate's own (`apps/facilitator`, SQLite
 * ledger in a temporary folder) by default, or with `TOLLGATE_E2E_FACILITATOR=official` the
 * official x402 facilitator stand-in (officialFacilitator.ts). Both listen on 127.0.0.1, free port.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApiKey, createMemoryApiKeyStore } from '../../apps/facilitator/src/http/apiKeys.ts'
import { type RunningFacilitator, startFacilitator } from '../../apps/facilitator/src/startFacilitator.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import type { LocalChain } from '../chain/localChain.ts'
import { startOfficialFacilitator } from './officialFacilitator.ts'

export type TestFacilitatorKind = 'tollgate' | 'official'

/** A running facilitator on loopback; `running` is Tollgate's, in this process (its ledger readable). */
export type TestFacilitator = {
  kind: TestFacilitatorKind
  url: string
  /** Tollgate's: an API key with the verify, settle and release scopes, for any payTo (auth is on). */
  apiKey?: string
  running?: RunningFacilitator
  stop(): Promise<void>
}

/** The kind selected by `TOLLGATE_E2E_FACILITATOR` (default `tollgate`). */
export function selectedFacilitator(): TestFacilitatorKind {
  return process.env.TOLLGATE_E2E_FACILITATOR === 'official' ? 'official' : 'tollgate'
}

/**
 * The configuration {@link startTestFacilitator} starts Tollgate's facilitator with, before the caller's
 * additions: on 127.0.0.1 and a free port, settling from dev account #0, ledger in `dataDir`, silent.
 */
export function tollgateTestEnv(
  chain: Pick<LocalChain, 'network' | 'chainId' | 'url'>,
  dataDir: string,
): Record<string, string> {
  return {
    TOLLGATE_HOST: '127.0.0.1',
    TOLLGATE_PORT: '0',
    TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
    TOLLGATE_NETWORKS: chain.network,
    [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_LOG_LEVEL: 'silent',
  }
}

/** Starts a facilitator for `chain`, settling from dev account #0; `env` adds to Tollgate's configuration. */
export async function startTestFacilitator(
  chain: LocalChain,
  kind: TestFacilitatorKind = selectedFacilitator(),
  env: Record<string, string> = {},
): Promise<TestFacilitator> {
  if (kind === 'official') {
    const official = await startOfficialFacilitator(chain)
    return { kind, url: official.url, stop: official.stop }
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-facilitator-'))
  const apiKeys = createMemoryApiKeyStore()
  const { key: apiKey, record } = await createApiKey({
    scopes: ['verify', 'settle', 'release'],
    payTo: '*',
    label: 'tests',
    now: BigInt(Math.floor(Date.now() / 1000)),
  })
  await apiKeys.insert(record)
  try {
    const running = await startFacilitator(
      { ...tollgateTestEnv(chain, dataDir), ...env },
      { logError: () => {}, apiKeys },
    )
    return {
      kind,
      url: running.url,
      apiKey,
      running,
      stop: async () => {
        try {
          await running.stop()
        } finally {
          await rm(dataDir, { recursive: true, force: true })
        }
      },
    }
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true })
    throw error
  }
}
