import type {
  AcquireSignerParameters,
  ReleaseSignerParameters,
  SignerFence,
  SignerLease,
  StoredTransaction,
} from '@tollgate/facilitator'
import { decodeRow, encodeRow } from './rowCodec.ts'
import type { SqlStorage } from './workersTypes.ts'

/** The signer object's tables: its lease (one row) and its journal of signed transactions. */
export const signerSchema = `
CREATE TABLE IF NOT EXISTS signer_lease (
  signer TEXT PRIMARY KEY,
  lease TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal (
  hash TEXT PRIMARY KEY,
  nonce TEXT NOT NULL,
  tx TEXT NOT NULL
) WITHOUT ROWID;
`

type Held = { owner: string; until: bigint; epoch: bigint }

/**
 * One signer key inside its own Durable Object: the lease that fences it and the journal of what it signed. The
 * fence check and the journal write are one synchronous step of the object, so a holder that lost the lease
 * cannot journal (and so cannot broadcast) a transaction.
 */
export function signerTable(sql: SqlStorage) {
  const held = (signer: string): Held | undefined => {
    const rows = sql.exec<{ lease: string }>('SELECT lease FROM signer_lease WHERE signer = ?', signer).toArray()
    return rows[0] ? decodeRow<Held>(rows[0].lease) : undefined
  }
  const keep = (signer: string, lease: Held) =>
    sql.exec(
      'INSERT INTO signer_lease (signer, lease) VALUES (?, ?) ON CONFLICT (signer) DO UPDATE SET lease = excluded.lease',
      signer,
      encodeRow(lease),
    )
  return {
    acquireSigner({ signer, owner, leaseSeconds, now, epoch }: AcquireSignerParameters): SignerLease | undefined {
      const key = signer.toLowerCase()
      const current = held(key)
      const own = current?.owner === owner && (epoch === undefined || current.epoch === epoch)
      if (current && current.until > now && !own) return undefined
      const renewal = current?.owner === owner && epoch !== undefined && current.epoch === epoch
      const lease = { owner, until: now + leaseSeconds, epoch: renewal ? epoch : (current?.epoch ?? 0n) + 1n }
      keep(key, lease)
      return { epoch: lease.epoch, until: lease.until }
    },
    releaseSigner({ signer, owner, epoch }: ReleaseSignerParameters): void {
      const key = signer.toLowerCase()
      const current = held(key)
      if (current?.owner === owner && (epoch === undefined || current.epoch === epoch))
        keep(key, { ...current, until: 0n })
    },
    saveTransaction(transaction: StoredTransaction, fence: SignerFence | undefined): boolean {
      if (fence) {
        const current = held(transaction.signer.toLowerCase())
        if (current?.owner !== fence.owner || current.epoch !== fence.epoch || current.until <= fence.now) return false
      }
      sql.exec(
        'INSERT INTO journal (hash, nonce, tx) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING',
        transaction.hash.toLowerCase(),
        transaction.nonce.toString(),
        encodeRow(transaction),
      )
      return true
    },
    getTransaction(hash: string): StoredTransaction | undefined {
      const rows = sql.exec<{ tx: string }>('SELECT tx FROM journal WHERE hash = ?', hash.toLowerCase()).toArray()
      return rows[0] ? decodeRow<StoredTransaction>(rows[0].tx) : undefined
    },
  }
}
