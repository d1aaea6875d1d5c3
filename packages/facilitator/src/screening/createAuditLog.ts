import type { AuditHead, AuditRecord, AuditStore } from '../store/auditStore.ts'
import { auditHash, genesisHash, jsSha256Hex, type Sha256Hex } from './auditHash.ts'

/** Appends decisions to the hash-chained audit trail; see {@link createAuditLog}. */
export type AuditLog = {
  /** Writes one record (the decision as JSON) and resolves once it is stored. */
  append(decision: Readonly<Record<string, unknown>>): Promise<AuditRecord>
}

type Pending = { body: string; resolve(record: AuditRecord): void; reject(error: unknown): void }

/** JSON with bigints as decimal strings. */
const toJson = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v))

/**
 * The audit trail's writer: appends go through one queue per process, in batches (all records waiting
 * while the previous write ran), each batch chained onto the head and written in one atomic
 * compare-and-set; when another node appended meanwhile the head is read again and the batch re-chained.
 *
 * @example
 * const audit = createAuditLog(store.audit, { now })
 * await audit.append({ decision: 'allow', payer, payee })
 */
export function createAuditLog(
  store: AuditStore,
  {
    now,
    sha256 = jsSha256Hex,
  }: { now: () => bigint /** Default: JS SHA-256; inject a native one. */; sha256?: Sha256Hex },
): AuditLog {
  let head: AuditHead | undefined | null = null // null: not read yet
  const queue: Pending[] = []
  let writing = false

  const flush = async () => {
    writing = true
    while (queue.length > 0) {
      // At most 500 a write (PostgreSQL takes up to 65,535 parameters in one statement).
      const batch = queue.splice(0, 500)
      try {
        for (let attempt = 0; ; attempt++) {
          if (head === null) head = await store.head()
          const base: AuditHead | undefined = head
          const records: AuditRecord[] = []
          let seq = base?.seq ?? 0
          let prevHash = base?.hash ?? genesisHash
          const at = now()
          for (const { body } of batch) {
            seq++
            const hash = auditHash({ seq, at, prevHash, body }, sha256)
            records.push({ seq, at, prevHash, hash, body })
            prevHash = hash
          }
          const written = await store.append(records, { head: base })
          if (written.ok) {
            head = { seq, hash: prevHash }
            for (const [i, pending] of batch.entries()) pending.resolve(records[i] as AuditRecord)
            break
          }
          head = written.head
          if (attempt >= 50) throw new Error('the audit trail kept moving under this node (50 attempts)')
        }
      } catch (error) {
        head = null
        for (const pending of batch) pending.reject(error)
      }
    }
    writing = false
  }

  return {
    append(decision) {
      return new Promise<AuditRecord>((resolve, reject) => {
        queue.push({ body: toJson(decision), resolve, reject })
        if (!writing) void flush()
      })
    },
  }
}
