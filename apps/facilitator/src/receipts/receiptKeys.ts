/**
 * The facilitator's receipt keys on disk: loaded from `TOLLGATE_RECEIPT_KEYS_FILE`, or from
 * `<dataDir>/receipt-keys.json`, generated there at the first start (mode 0600). `tollgate-facilitator
 * receipt-keys rotate` puts a new active key first and keeps the old ones, public only, so receipts
 * signed before still verify against `/.well-known/jwks.json`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  generateReceiptKey,
  parseReceiptKeys,
  publicReceiptKey,
  type ReceiptAlgorithm,
  type ReceiptKey,
  rotateReceiptKeys,
} from '@tollgate/facilitator'
import { ConfigError } from '@tollgate/protocol'
import { type Env, options } from '../config/options.ts'

/** Where the keys are: the configured file, else the data folder's. */
export type ReceiptKeysPlace = { keysFile: string | undefined; dataDir: string }

export const receiptKeysFileName = 'receipt-keys.json'

/** The key file of a place. */
export const receiptKeysPath = ({ keysFile, dataDir }: ReceiptKeysPlace) =>
  keysFile ?? join(dataDir, receiptKeysFileName)

function readKeys(path: string): ReceiptKey[] {
  let document: unknown
  try {
    document = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    throw new ConfigError({ message: `Invalid configuration: receipt keys ${path}: cannot read it as JSON` })
  }
  try {
    return parseReceiptKeys(document)
  } catch (error) {
    throw new ConfigError({ message: `Invalid configuration: receipt keys ${path}: ${(error as Error).message}` })
  }
}

/** Writes the key file atomically (a temporary file renamed over it), readable by its owner only. */
export function writeReceiptKeys(path: string, keys: readonly ReceiptKey[]): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 })
  renameSync(temporary, path)
}

/**
 * The receipt keys, active first. A configured file must exist; the data folder's is generated with
 * one `algorithm` key when missing (created exclusively: of two processes starting at once, one writes).
 */
export function loadReceiptKeys(
  place: ReceiptKeysPlace,
  algorithm: ReceiptAlgorithm,
): Promise<ReceiptKey[]> | ReceiptKey[] {
  const path = receiptKeysPath(place)
  if (place.keysFile !== undefined || existsSync(path)) return readKeys(path)
  return (async () => {
    const key = await generateReceiptKey(algorithm)
    mkdirSync(dirname(path), { recursive: true })
    try {
      writeFileSync(path, `${JSON.stringify({ keys: [key] }, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
      return [key]
    } catch (error) {
      if ((error as { code?: string }).code === 'EEXIST') return readKeys(path)
      throw error
    }
  })()
}

export const receiptKeysHelp = `Usage:
  tollgate-facilitator receipt-keys rotate [--alg ES256|EdDSA]
  tollgate-facilitator receipt-keys show

The receipt keys live in TOLLGATE_RECEIPT_KEYS_FILE, or in TOLLGATE_DATA_DIR/${receiptKeysFileName}
(generated at the first start). rotate puts a new active key first and keeps the old ones public only,
so receipts signed with them still verify; restart the nodes to sign with the new key (give every node
the same file). show prints the published JWKS (public keys only).
`

/** `tollgate-facilitator receipt-keys …`: exit code 0 on success, 2 on a usage or configuration error. */
export async function runReceiptKeysCommand(
  args: readonly string[],
  { env, out, err }: { env: Env; out: (text: string) => void; err: (text: string) => void },
): Promise<number> {
  const [command, ...rest] = args
  if (command === undefined || command === '--help' || command === '-h') {
    out(receiptKeysHelp)
    return command === undefined ? 2 : 0
  }
  const dataDir = options.TOLLGATE_DATA_DIR.schema.safeParse(env.TOLLGATE_DATA_DIR || undefined)
  const keysFile = env.TOLLGATE_RECEIPT_KEYS_FILE?.trim() || undefined
  const place: ReceiptKeysPlace = { keysFile, dataDir: dataDir.success ? dataDir.data : './.data' }
  const path = receiptKeysPath(place)
  try {
    if (command === 'show') {
      const keys = existsSync(path) || keysFile ? readKeys(path) : []
      out(`${JSON.stringify({ keys: keys.map(publicReceiptKey) }, null, 2)}\n`)
      return 0
    }
    if (command === 'rotate') {
      const at = rest.indexOf('--alg')
      const alg =
        at === -1 ? (rest.find((arg) => arg.startsWith('--alg='))?.slice(6) ?? env.TOLLGATE_RECEIPT_ALG) : rest[at + 1]
      if (alg !== undefined && alg !== 'ES256' && alg !== 'EdDSA') {
        err('receipt-keys rotate: --alg must be ES256 or EdDSA\n')
        return 2
      }
      const keys = existsSync(path) ? readKeys(path) : []
      const rotated =
        keys.length === 0
          ? [await generateReceiptKey(alg ?? 'ES256')]
          : await rotateReceiptKeys(keys, alg ?? keys[0]?.alg)
      writeReceiptKeys(path, rotated)
      out(`${JSON.stringify({ active: rotated[0]?.kid, retired: rotated.slice(1).map((key) => key.kid) })}\n`)
      return 0
    }
  } catch (error) {
    err(`${(error as Error).message}\n`)
    return 2
  }
  err(`Unknown receipt-keys command: ${command}\n${receiptKeysHelp}`)
  return 2
}
