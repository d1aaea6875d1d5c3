/**
 * The facilitator Worker (`apps/facilitator-worker`) in Miniflare against a local chain: its Durable Objects
 * SQLite-backed, settling from dev account #0, one API key, receipts on. With `persistDir` the objects' storage and
 * alarms outlive a stop, so a test can restart them.
 */
import { join } from 'node:path'
import { generateReceiptKey } from '@tollgate/facilitator'
import { createApiKey } from '../../apps/facilitator/src/http/apiKeys.ts'
import { devPrivateKeys } from '../chain/accounts.ts'
import type { LocalChain } from '../chain/localChain.ts'
import { type RunningWorker, startWorker } from '../hono/worker.ts'

export const facilitatorWorkerEntry = join(import.meta.dirname, '..', '..', 'apps/facilitator-worker/src/worker.ts')

export const facilitatorObjects = {
  FACILITATOR: { className: 'FacilitatorObject', useSQLite: true },
  STORE: { className: 'StoreObject', useSQLite: true },
}

export type FacilitatorWorkerSecrets = Record<string, string> & { TOLLGATE_API_KEYS: string }

/** The bindings of a facilitator Worker on `chain`: a fresh API key and receipt key. */
export async function facilitatorWorkerBindings(chain: LocalChain): Promise<FacilitatorWorkerSecrets> {
  const { key } = await createApiKey({ scopes: ['verify', 'settle', 'release'], payTo: '*', now: 0n })
  return {
    TOLLGATE_NETWORK: chain.network,
    TOLLGATE_RPC_URL: chain.url,
    TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
    TOLLGATE_API_KEYS: key,
    TOLLGATE_RECEIPT_KEYS: JSON.stringify({ keys: [await generateReceiptKey('ES256')] }),
    TOLLGATE_RECEIPT_TIMEOUT_MS: '20000',
    TOLLGATE_RECONCILE_INTERVAL_MS: '1000',
    // As the Node service's crash suites: a settling row of a dead instance is taken back after 5 s, not 60.
    TOLLGATE_RECONCILE_STALE_SECONDS: '5',
  }
}

export function startFacilitatorWorker(bindings: Record<string, string>, persistDir?: string): Promise<RunningWorker> {
  return startWorker(facilitatorWorkerEntry, bindings, {
    durableObjects: facilitatorObjects,
    ...(persistDir ? { persistDir } : {}),
  })
}
