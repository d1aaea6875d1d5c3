import { parseReceiptKeys, type ReceiptKey } from '@tollgate/facilitator'
import { chainIdOf, type EvmNetwork } from '@tollgate/protocol'
import type { Address, Hex } from 'viem'

/**
 * The Worker's bindings: vars in wrangler.toml, secrets with `wrangler secret put` (never in the file, never
 * logged: a message about a secret names the variable, not its value).
 */
export type WorkerEnv = {
  /** CAIP-2 network the facilitator settles on, such as `eip155:8453` (var). */
  TOLLGATE_NETWORK?: string
  /** The chain's JSON-RPC URL (secret: it often holds a provider key). */
  TOLLGATE_RPC_URL?: string
  /** The settlement signer's private key, 0x and 64 hex digits (secret). */
  TOLLGATE_SIGNER_KEY?: string
  /** API keys (`tg_<id>_<secret>`), comma-separated; each may verify, settle and release for any payee (secret). */
  TOLLGATE_API_KEYS?: string
  /** Receipt signing keys as `{ "keys": [JWK, …] }`, the first signs (secret). Absent: no receipts. */
  TOLLGATE_RECEIPT_KEYS?: string
  /** How long `/settle` waits for a receipt before answering pending, in ms (var). Default `20000`. */
  TOLLGATE_RECEIPT_TIMEOUT_MS?: string
  /** Milliseconds between the reconciler's alarm runs while work is open (var). Default `5000`. */
  TOLLGATE_RECONCILE_INTERVAL_MS?: string
  /** Seconds after which a `settling` row nobody holds counts as abandoned (var). Default `60`. */
  TOLLGATE_RECONCILE_STALE_SECONDS?: string
  /** `on` (default) or `off`: screening of payer and payee, as on the Node service (var). */
  TOLLGATE_SCREENING?: string
  /** The Chainalysis sanctions oracle's address, or `off` (var). Default: Chainalysis's on Base, none elsewhere. */
  TOLLGATE_SCREENING_ORACLE?: string
}

/** Where the Chainalysis sanctions oracle is deployed (the Node service's `TOLLGATE_SCREENING_ORACLES` default). */
const chainalysisOracles: Readonly<Record<number, Address>> = { 8453: '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B' }

/** What the Worker screens with: the USDC blacklist always, the oracle where there is one; `off` only when asked. */
export type WorkerScreening = { oracle: Address | undefined } | 'off'

export type WorkerConfig = {
  network: EvmNetwork
  chainId: number
  rpcUrl: string
  signerKey: Hex
  apiKeys: readonly string[]
  receiptKeys: readonly ReceiptKey[] | undefined
  receiptTimeoutMs: number
  reconcileIntervalMs: number
  reconcileStaleSeconds: number
  screening: WorkerScreening
}

export type ParseWorkerConfigResult = { ok: true; config: WorkerConfig } | { ok: false; message: string }

const keyPattern = /^0x[0-9a-fA-F]{64}$/
const apiKeyPattern = /^tg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/

const positive = (text: string | undefined, fallback: number, name: string, unit: string): number | string => {
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  return Number.isInteger(value) && value > 0 ? value : `${name} must be a positive integer (${unit})`
}

/** The Worker's configuration from its bindings; a bad one is a message naming the binding, never its value. */
export function parseWorkerConfig(env: WorkerEnv): ParseWorkerConfigResult {
  const network = (env.TOLLGATE_NETWORK ?? 'eip155:8453') as EvmNetwork
  const chainId = chainIdOf(network)
  if (chainId === undefined) return { ok: false, message: 'TOLLGATE_NETWORK must be an EVM network (eip155:<id>)' }
  const rpcUrl = env.TOLLGATE_RPC_URL ?? ''
  if (!/^https?:\/\//.test(rpcUrl)) return { ok: false, message: 'TOLLGATE_RPC_URL (secret) must be an http(s) URL' }
  const signerKey = env.TOLLGATE_SIGNER_KEY ?? ''
  if (!keyPattern.test(signerKey)) {
    return { ok: false, message: 'TOLLGATE_SIGNER_KEY (secret) must be 0x and 64 hex digits' }
  }
  const apiKeys = (env.TOLLGATE_API_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '')
  if (apiKeys.length === 0) return { ok: false, message: 'TOLLGATE_API_KEYS (secret) must list at least one key' }
  if (!apiKeys.every((key) => apiKeyPattern.test(key))) {
    return { ok: false, message: 'TOLLGATE_API_KEYS (secret) holds a key not of the form tg_<id>_<secret>' }
  }
  let receiptKeys: ReceiptKey[] | undefined
  if (env.TOLLGATE_RECEIPT_KEYS) {
    try {
      receiptKeys = parseReceiptKeys(JSON.parse(env.TOLLGATE_RECEIPT_KEYS))
    } catch {
      return { ok: false, message: 'TOLLGATE_RECEIPT_KEYS (secret) must be { "keys": [JWK, …] }, the first private' }
    }
  }
  const receiptTimeoutMs = positive(env.TOLLGATE_RECEIPT_TIMEOUT_MS, 20_000, 'TOLLGATE_RECEIPT_TIMEOUT_MS', 'ms')
  if (typeof receiptTimeoutMs === 'string') return { ok: false, message: receiptTimeoutMs }
  const reconcileIntervalMs = positive(
    env.TOLLGATE_RECONCILE_INTERVAL_MS,
    5_000,
    'TOLLGATE_RECONCILE_INTERVAL_MS',
    'ms',
  )
  if (typeof reconcileIntervalMs === 'string') return { ok: false, message: reconcileIntervalMs }
  const reconcileStaleSeconds = positive(
    env.TOLLGATE_RECONCILE_STALE_SECONDS,
    60,
    'TOLLGATE_RECONCILE_STALE_SECONDS',
    's',
  )
  if (typeof reconcileStaleSeconds === 'string') return { ok: false, message: reconcileStaleSeconds }
  const screeningSwitch = env.TOLLGATE_SCREENING ?? 'on'
  if (screeningSwitch !== 'on' && screeningSwitch !== 'off') {
    return { ok: false, message: 'TOLLGATE_SCREENING must be on or off' }
  }
  const oracle = env.TOLLGATE_SCREENING_ORACLE ?? chainalysisOracles[chainId] ?? 'off'
  if (oracle !== 'off' && !/^0x[0-9a-fA-F]{40}$/.test(oracle)) {
    return { ok: false, message: 'TOLLGATE_SCREENING_ORACLE must be off or a 0x address' }
  }
  const screening: WorkerScreening =
    screeningSwitch === 'off' ? 'off' : { oracle: oracle === 'off' ? undefined : (oracle as Address) }
  return {
    ok: true,
    config: {
      network,
      chainId,
      rpcUrl,
      signerKey: signerKey as Hex,
      apiKeys,
      receiptKeys,
      receiptTimeoutMs,
      reconcileIntervalMs,
      reconcileStaleSeconds,
      screening,
    },
  }
}
