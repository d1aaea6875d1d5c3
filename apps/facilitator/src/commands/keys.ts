/**
 * `tollgate-facilitator keys …`: create, list and revoke API keys where the ledger is (SQLite in the
 * data directory, or PostgreSQL at `TOLLGATE_DATABASE_URL`), so every node sharing the ledger sees
 * them. A new key is printed once; only its SHA-256 is stored.
 */
import { redactUrls, systemNow } from '@tollgate/facilitator'
import type { Env } from '../config/options.ts'
import { parseKeyStoreConfig } from '../config/parseKeyStoreConfig.ts'
import { type ApiKeyRecord, type ApiKeyStore, createApiKey } from '../http/apiKeys.ts'
import { parsePayTo, parseScopes } from '../http/auth.ts'
import { openApiKeyStore } from '../storage/openApiKeyStore.ts'

export const keysHelp = `Usage:
  tollgate-facilitator keys create --scopes verify,settle,release --pay-to 0xSeller[,0x…] [--label name]
  tollgate-facilitator keys list
  tollgate-facilitator keys revoke <id>

Keys live where the ledger is: SQLite under TOLLGATE_DATA_DIR (default ./.data), or PostgreSQL at
TOLLGATE_DATABASE_URL (schema TOLLGATE_DATABASE_SCHEMA), shared by every node. Scopes: verify, settle,
release, admin. --pay-to lists the payees the key may verify, settle and release for ('*': any).
The key is printed once, by create; only its SHA-256 hash is stored. Send it as
"Authorization: Bearer <key>" (httpFacilitator({ url, apiKey })).
`

/** What {@link runKeysCommand} writes to and reads from. */
export type KeysCommandIo = {
  env: Env
  out: (text: string) => void
  err: (text: string) => void
  /** Seconds since the epoch. Default: the system clock. */
  now?: () => bigint
}

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name)
  if (at !== -1) return args[at + 1]
  const inline = args.find((arg) => arg.startsWith(`${name}=`))
  return inline?.slice(name.length + 1)
}

const describe = (record: ApiKeyRecord) => ({
  id: record.id,
  label: record.label,
  scopes: record.scopes,
  payTo: record.payTo,
  createdAt: new Date(Number(record.createdAt) * 1000).toISOString(),
  revokedAt: record.revokedAt === undefined ? null : new Date(Number(record.revokedAt) * 1000).toISOString(),
})

/**
 * Runs `keys <create|list|revoke>` and answers the exit code: `0` done, `1` failed (no such key, a
 * store that cannot be opened), `2` a usage error.
 *
 * @example
 * process.exitCode = await runKeysCommand(process.argv.slice(3), { env: process.env, out, err })
 */
export async function runKeysCommand(
  args: readonly string[],
  { env, out, err, now = systemNow }: KeysCommandIo,
): Promise<number> {
  const [command, ...rest] = args
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(keysHelp)
    return command === undefined ? 2 : 0
  }
  if (command !== 'create' && command !== 'list' && command !== 'revoke') {
    err(`Unknown keys command: ${command}\n\n${keysHelp}`)
    return 2
  }
  let scopes: ReturnType<typeof parseScopes> | undefined
  let payTo: ReturnType<typeof parsePayTo> | undefined
  if (command === 'create') {
    try {
      scopes = parseScopes(flag(rest, '--scopes') ?? '')
      const grantsPayments = scopes.some((scope) => scope !== 'admin')
      const list = flag(rest, '--pay-to')
      if (grantsPayments && list === undefined) throw new TypeError('--pay-to is required (addresses, or * for any)')
      payTo = list === undefined ? [] : parsePayTo(list)
    } catch (error) {
      err(`keys create: ${(error as Error).message}\n\n${keysHelp}`)
      return 2
    }
  }
  if (command === 'revoke' && (rest[0] === undefined || !/^[0-9a-f]{16}$/.test(rest[0]))) {
    err(`keys revoke: expected a key id (16 hex digits, as keys list shows)\n\n${keysHelp}`)
    return 2
  }
  let store: ApiKeyStore
  try {
    store = await openApiKeyStore(parseKeyStoreConfig(env))
  } catch (error) {
    err(`keys: cannot open the key store: ${redactUrls(error instanceof Error ? error.message : String(error))}\n`)
    return 1
  }
  try {
    if (command === 'create') {
      const label = flag(rest, '--label') ?? ''
      const { key, record } = await createApiKey({
        scopes: scopes ?? [],
        payTo: payTo ?? [],
        label,
        now: now(),
      })
      await store.insert(record)
      out(`${JSON.stringify({ ...describe(record), key })}\n`)
      err('The key is shown once: store it now. Only its hash is kept.\n')
      return 0
    }
    if (command === 'list') {
      for (const record of await store.list()) out(`${JSON.stringify(describe(record))}\n`)
      return 0
    }
    const id = rest[0] as string
    if (await store.revoke(id, now())) {
      out(`${JSON.stringify({ id, revoked: true })}\n`)
      return 0
    }
    err(`keys revoke: no active key ${id}\n`)
    return 1
  } finally {
    await store.close()
  }
}
