/**
 * `tollgate-facilitator audit export|verify`: the screening audit trail of the ledger (SQLite under
 * TOLLGATE_DATA_DIR, or PostgreSQL at TOLLGATE_DATABASE_URL), exported as JSON lines and verified record by
 * record (sequence, links, hashes).
 */

import { once } from 'node:events'
import { createWriteStream, readFileSync } from 'node:fs'
import { type AuditHead, type AuditRecord, readAuditChain, type Store, verifyAuditChain } from '@tollgate/facilitator'
import { createPostgresStore } from '@tollgate/store-postgres'
import { createSqliteStore } from '@tollgate/store-sqlite'
import type { Env } from '../config/options.ts'
import { parseKeyStoreConfig } from '../config/parseKeyStoreConfig.ts'

export const auditHelp = `Usage:
  tollgate-facilitator audit export [--out audit.jsonl]            every record, one JSON line each (stdout by default)
  tollgate-facilitator audit verify [--file audit.jsonl] [--expect-head <seq>:<hash>]

verify checks the ledger's trail (or an export): records numbered 1, 2, 3… each linked to the previous hash and
matching its own; any altered, removed or inserted record fails (exit 1), naming it. Keep the head it prints
somewhere else and pass it as --expect-head later: a rewritten tail is caught too.
Reads TOLLGATE_DATA_DIR, TOLLGATE_DATABASE_URL and TOLLGATE_DATABASE_SCHEMA (as the service does).
`

export type AuditCommandIo = { env: Env; out: (text: string) => void; err: (text: string) => void }

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name)
  if (at !== -1) return args[at + 1]
  return args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1)
}

const toLine = (record: AuditRecord) =>
  `${JSON.stringify({ seq: record.seq, at: record.at.toString(), prevHash: record.prevHash, hash: record.hash, body: record.body })}\n`

function* fromExport(text: string): Generator<AuditRecord> {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const row = JSON.parse(line) as {
      seq: number
      at: string
      prevHash: AuditRecord['prevHash']
      hash: AuditRecord['hash']
      body: string
    }
    yield { seq: row.seq, at: BigInt(row.at), prevHash: row.prevHash, hash: row.hash, body: row.body }
  }
}

async function openStore(env: Env): Promise<Store> {
  const config = parseKeyStoreConfig(env)
  return config.databaseUrl
    ? createPostgresStore({ connectionString: config.databaseUrl, schema: config.databaseSchema, max: 2 })
    : createSqliteStore({ dataDir: config.dataDir })
}

/** Runs `audit export|verify` and answers the exit code: `0` done (chain intact), `1` broken or failed, `2` usage. */
export async function runAuditCommand(args: readonly string[], { env, out, err }: AuditCommandIo): Promise<number> {
  const [command] = args
  if (command !== 'export' && command !== 'verify') {
    ;(args.includes('--help') ? out : err)(auditHelp)
    return args.includes('--help') ? 0 : 2
  }
  let expectHead: AuditHead | undefined
  const expected = flag(args, '--expect-head')
  if (expected !== undefined) {
    const match = /^([0-9]+):(0x[0-9a-fA-F]{64})$/.exec(expected)
    if (!match) {
      err('audit verify: --expect-head takes <seq>:<0x hash>\n')
      return 2
    }
    expectHead = { seq: Number(match[1]), hash: match[2] as AuditHead['hash'] }
  }
  const file = flag(args, '--file')
  let store: Store | undefined
  try {
    if (command === 'verify' && file !== undefined) {
      return report(
        await verifyAuditChain(fromExport(readFileSync(file, 'utf8')), expectHead ? { expectHead } : {}),
        out,
      )
    }
    store = await openStore(env)
    if (command === 'verify') {
      return report(await verifyAuditChain(readAuditChain(store.audit), expectHead ? { expectHead } : {}), out)
    }
    const target = flag(args, '--out')
    const sink = target ? createWriteStream(target) : undefined
    let count = 0
    for await (const record of readAuditChain(store.audit)) {
      const line = toLine(record)
      if (sink) {
        if (!sink.write(line)) await once(sink, 'drain')
      } else out(line)
      count++
    }
    if (sink) {
      sink.end()
      await once(sink, 'finish')
      err(`audit export: ${count} records to ${target}\n`)
    }
    return 0
  } catch (error) {
    err(`audit ${command}: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    await store?.close()
  }
}

function report(result: Awaited<ReturnType<typeof verifyAuditChain>>, out: (text: string) => void): number {
  if (result.ok) {
    out(
      `${JSON.stringify({ ok: true, records: result.count, head: result.head ? `${result.head.seq}:${result.head.hash}` : null })}\n`,
    )
    return 0
  }
  out(`${JSON.stringify({ ok: false, records: result.count, brokenAt: result.seq, reason: result.reason })}\n`)
  return 1
}
