import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { AuditRecord, LedgerPatch, LedgerState, Store, StoredTransaction } from '@tollgate/facilitator'
import { canTransition, type LedgerRow, ledgerPatchColumns, toLedgerEntry } from '@tollgate/facilitator/store'
import Database from 'better-sqlite3'
import { exposureSchema, exposureSchemaV8, sqliteExposure } from './sqliteExposure.ts'
import { receiptsSchema, sqliteReceipts } from './sqliteReceipts.ts'

export type CreateSqliteStoreOptions = {
  /** Directory of the ledger file (`<dataDir>/ledger.sqlite`), created if missing. */
  dataDir?: string
  /** The database file itself, or `':memory:'`; wins over `dataDir`. */
  filename?: string
  /**
   * SQLite `synchronous` in WAL mode. `'NORMAL'` (default) survives a crash of the process, not of
   * the machine; `'FULL'` fsyncs every commit (slower; survives power loss).
   */
  synchronous?: 'NORMAL' | 'FULL'
}

type Row = LedgerRow

/** A `transactions` row, read with safe integers (`chain_id` and `created_at` as bigints). */
type TransactionRow = { hash: string; chain_id: bigint; signer: string; nonce: string; raw: string; created_at: bigint }

const schemaVersion = 8

const schema = `
CREATE TABLE IF NOT EXISTS ledger (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  network TEXT NOT NULL,
  chain_id INTEGER NOT NULL,
  asset TEXT NOT NULL,
  payer TEXT NOT NULL,
  pay_to TEXT NOT NULL,
  amount TEXT NOT NULL,
  nonce TEXT NOT NULL,
  valid_after TEXT NOT NULL,
  valid_before TEXT NOT NULL,
  payload_hash TEXT NOT NULL,
  x402_version INTEGER NOT NULL,
  signer TEXT,
  signer_nonce TEXT,
  tx_hash TEXT,
  block_number TEXT,
  error_code TEXT,
  error_message TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ledger_state_created ON ledger (state, created_at);
CREATE INDEX IF NOT EXISTS ledger_tx_hash ON ledger (tx_hash) WHERE tx_hash IS NOT NULL;
`

/** Version 2: reservation leases, claims, signer leases. */
const schemaV2 = `
ALTER TABLE ledger ADD COLUMN reserved_until INTEGER;
ALTER TABLE ledger ADD COLUMN claimed_by TEXT;
ALTER TABLE ledger ADD COLUMN claimed_until INTEGER;
CREATE TABLE IF NOT EXISTS signer_leases (
  signer TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  until INTEGER NOT NULL
) WITHOUT ROWID;
`

/** Version 3: signed settlement transactions, kept for rebroadcast (hash lowercase, nonce decimal text). */
const schemaV3 = `
CREATE TABLE IF NOT EXISTS transactions (
  hash TEXT PRIMARY KEY,
  chain_id INTEGER NOT NULL,
  signer TEXT NOT NULL,
  nonce TEXT NOT NULL,
  raw TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
`

/**
 * Version 4: fenced signer leases (the epoch grows at every acquisition), the payer's signature, who holds a
 * reservation and who delivered a settled payment (claim digests), payment-identifier keys.
 */
const schemaV4 = `
ALTER TABLE signer_leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN signature TEXT;
ALTER TABLE ledger ADD COLUMN holder TEXT;
ALTER TABLE ledger ADD COLUMN delivered_to TEXT;
ALTER TABLE ledger ADD COLUMN payment_key TEXT;
CREATE INDEX IF NOT EXISTS ledger_payment_key ON ledger (payment_key, created_at) WHERE payment_key IS NOT NULL;
`

/**
 * Version 6: the screening audit trail, append-only (triggers refuse UPDATE and DELETE) and hash-chained
 * (`prev_hash` unique: two appends onto one head cannot both land).
 */
const schemaV6 = `
CREATE TABLE IF NOT EXISTS screening_audit (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  prev_hash TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS screening_audit_no_update BEFORE UPDATE ON screening_audit
  BEGIN SELECT RAISE(ABORT, 'screening_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS screening_audit_no_delete BEFORE DELETE ON screening_audit
  BEGIN SELECT RAISE(ABORT, 'screening_audit is append-only'); END;
`

type AuditRow = { seq: bigint; at: bigint; prev_hash: string; hash: string; body: string }

const toAuditRecord = (row: AuditRow): AuditRecord => ({
  seq: Number(row.seq),
  at: row.at,
  prevHash: row.prev_hash as AuditRecord['prevHash'],
  hash: row.hash as AuditRecord['hash'],
  body: row.body,
})

const toStoredTransaction = (row: TransactionRow): StoredTransaction => ({
  hash: row.hash as StoredTransaction['hash'],
  chainId: Number(row.chain_id),
  signer: row.signer as StoredTransaction['signer'],
  nonce: BigInt(row.nonce),
  raw: row.raw as StoredTransaction['raw'],
  createdAt: row.created_at,
})

/** Integer columns (seconds) keep bigints as SQLite integers; the others are text. */
const integerColumns = new Set<keyof LedgerPatch>(['reservedUntil', 'claimedUntil'])
const toColumn = (key: keyof LedgerPatch, value: unknown): string | bigint | null =>
  value === undefined || value === null
    ? null
    : typeof value === 'bigint'
      ? integerColumns.has(key)
        ? value
        : value.toString()
      : String(value)

/**
 * The ledger on SQLite (better-sqlite3), the embedded default for one node: one file under the data
 * directory, WAL mode, the ledger keyed by the authorization id (plus signer leases and kept transactions).
 * Reservation is a single `INSERT … ON CONFLICT DO NOTHING RETURNING` and every transition a single conditional
 * `UPDATE … WHERE state IN (…) RETURNING`: each statement is atomic, so two processes sharing the file
 * also agree on one winner.
 * Passes `storeConformance`.
 *
 * @example
 * import { createSqliteStore } from '@tollgate/store-sqlite'
 * const store = createSqliteStore({ dataDir: './.data' })
 * @see architecture.md (The ledger)
 */
export function createSqliteStore({ dataDir, filename, synchronous = 'NORMAL' }: CreateSqliteStoreOptions): Store {
  let file = filename
  if (file === undefined) {
    if (dataDir === undefined) throw new TypeError('createSqliteStore needs dataDir or filename')
    mkdirSync(dataDir, { recursive: true })
    file = join(dataDir, 'ledger.sqlite')
  }
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('busy_timeout = 5000')
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > schemaVersion) {
    db.close()
    throw new Error(`${file} has ledger schema ${version}; this version of Tollgate reads up to ${schemaVersion}.`)
  }
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number
    if (current < 1) db.exec(schema)
    if (current < 2) db.exec(schemaV2)
    if (current < 3) db.exec(schemaV3)
    if (current < 4) db.exec(schemaV4)
    if (current < 5) db.exec(receiptsSchema)
    if (current < 6) db.exec(schemaV6)
    if (current < 7) db.exec(exposureSchema)
    if (current < 8) db.exec(exposureSchemaV8)
    if (current < schemaVersion) db.pragma(`user_version = ${schemaVersion}`)
  }).immediate()

  const selectOne = db.prepare<[string], Row>('SELECT * FROM ledger WHERE id = ?')
  // Single statements (each its own transaction, atomic across connections) with RETURNING, so the
  // common paths cost one statement: a new reservation, a successful compare-and-set.
  const insert = db.prepare<Record<string, unknown>, Row>(`
    INSERT INTO ledger (id, state, network, chain_id, asset, payer, pay_to, amount, nonce, valid_after, valid_before,
      payload_hash, x402_version, signature, reserved_until, holder, payment_key, created_at, updated_at)
    VALUES (@id, 'reserved', @network, @chainId, @asset, @payer, @payTo, @amount, @nonce, @validAfter, @validBefore,
      @payloadHash, @x402Version, @signature, @reservedUntil, @holder, @paymentKey, @createdAt, @createdAt)
    ON CONFLICT (id) DO NOTHING
    RETURNING *`)
  // Re-takes a released reservation, or a reserved one whose lease is absent or over (one statement: one winner).
  const rereserve = db.prepare<[bigint, bigint | null, string | null, string, string, bigint], Row>(
    `UPDATE ledger SET state = 'reserved', updated_at = ?, reserved_until = ?, holder = ?
     WHERE id = ? AND payload_hash = ?
       AND (state = 'released' OR (state = 'reserved' AND (reserved_until IS NULL OR reserved_until <= ?)))
     RETURNING *`,
  )
  const swapDelivery = db.prepare<[string | null, bigint, string, string | null], Row>(
    `UPDATE ledger SET delivered_to = ?, updated_at = ?
     WHERE id = ? AND state IN ('settled', 'preconfirmed') AND delivered_to IS ?
     RETURNING *`,
  )
  const findPayment = db.prepare<[string], Row>(
    `SELECT * FROM ledger WHERE payment_key = ? AND state NOT IN ('failed', 'expired', 'released')
     ORDER BY created_at DESC, id DESC LIMIT 1`,
  )
  const claimFree = (states: readonly LedgerState[]) =>
    db.prepare<unknown[], Row>(`
      UPDATE ledger SET claimed_by = ?, claimed_until = ?
      WHERE id IN (
        SELECT id FROM ledger WHERE state IN (${states.map(() => '?').join(', ')})
          AND (claimed_until IS NULL OR claimed_until <= ?)
        ORDER BY created_at, id LIMIT ?)
      RETURNING *`)
  // A renewal (same owner and epoch) keeps the epoch; any other grant (free, expired, or the same
  // owner starting again) takes the next one.
  const takeSigner = db
    .prepare<Record<string, unknown>, { epoch: bigint; until: bigint }>(`
    INSERT INTO signer_leases (signer, owner, until, epoch) VALUES (@signer, @owner, @until, 1)
    ON CONFLICT (signer) DO UPDATE SET owner = excluded.owner, until = excluded.until,
      epoch = CASE WHEN signer_leases.owner = excluded.owner AND signer_leases.epoch IS @epoch
        THEN signer_leases.epoch ELSE signer_leases.epoch + 1 END
      WHERE signer_leases.until <= @now
        OR (signer_leases.owner = excluded.owner AND (@epoch IS NULL OR signer_leases.epoch = @epoch))
    RETURNING epoch, until`)
    .safeIntegers(true)
  const dropSigner = db.prepare<[string, string, bigint | null, bigint | null]>(
    'UPDATE signer_leases SET until = 0 WHERE signer = ? AND owner = ? AND (? IS NULL OR epoch = ?)',
  )
  const fenceHolds = db.prepare<[string, string, bigint, bigint], { held: number }>(
    'SELECT 1 AS held FROM signer_leases WHERE signer = ? AND owner = ? AND epoch = ? AND until > ?',
  )
  const insertTransaction = db.prepare<[string, number, string, string, string, bigint]>(
    `INSERT INTO transactions (hash, chain_id, signer, nonce, raw, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (hash) DO NOTHING`,
  )
  // The fence and the write in one transaction: nobody takes the lease in between.
  const saveFenced = db.transaction(
    (transaction: StoredTransaction, fence: { owner: string; epoch: bigint; now: bigint } | undefined) => {
      const { hash, chainId, signer, nonce, raw, createdAt } = transaction
      if (fence && !fenceHolds.get(signer.toLowerCase(), fence.owner, fence.epoch, fence.now)) return false
      insertTransaction.run(hash.toLowerCase(), chainId, signer, nonce.toString(), raw, createdAt)
      return true
    },
  )
  const selectTransaction = db
    .prepare<[string], TransactionRow>('SELECT * FROM transactions WHERE hash = ?')
    .safeIntegers(true)
  const updates = new Map<string, Database.Statement<unknown[], Row>>()

  const update = (id: string, states: readonly LedgerState[], to: LedgerState, patch: LedgerPatch, now: bigint) => {
    const keys = (Object.keys(patch) as (keyof LedgerPatch)[]).filter((key) => key in ledgerPatchColumns).sort()
    const sql = `UPDATE ledger SET state = ?, updated_at = ?${keys.map((key) => `, ${ledgerPatchColumns[key]} = ?`).join('')} WHERE id = ? AND state IN (${states.map(() => '?').join(', ')}) RETURNING *`
    let statement = updates.get(sql)
    if (!statement) {
      statement = db.prepare<unknown[], Row>(sql)
      updates.set(sql, statement)
    }
    return statement.get(to, now, ...keys.map((key) => toColumn(key, patch[key])), id, ...states)
  }

  // The audit trail: an append checks the head and inserts the batch in one immediate transaction.
  const auditHead = db
    .prepare<[], { seq: bigint; hash: string }>('SELECT seq, hash FROM screening_audit ORDER BY seq DESC LIMIT 1')
    .safeIntegers(true)
  const auditPage = db
    .prepare<[number, number], AuditRow>('SELECT * FROM screening_audit WHERE seq > ? ORDER BY seq LIMIT ?')
    .safeIntegers(true)
  const auditInsert = db.prepare<[number, bigint, string, string, string]>(
    'INSERT INTO screening_audit (seq, at, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?)',
  )
  const appendAudit = db.transaction(
    (records: readonly AuditRecord[], head: { seq: number; hash: string } | undefined) => {
      const row = auditHead.get()
      const current = row ? { seq: Number(row.seq), hash: row.hash as AuditRecord['hash'] } : undefined
      if (current?.seq !== head?.seq || current?.hash !== head?.hash) return { ok: false as const, head: current }
      for (const r of records) auditInsert.run(r.seq, r.at, r.prevHash, r.hash, r.body)
      return { ok: true as const }
    },
  )

  return {
    async reserve(entry) {
      const inserted = insert.get({
        id: entry.id,
        network: entry.network,
        chainId: entry.chainId,
        asset: entry.asset,
        payer: entry.payer,
        payTo: entry.payTo,
        amount: entry.amount.toString(),
        nonce: entry.nonce,
        validAfter: entry.validAfter.toString(),
        validBefore: entry.validBefore.toString(),
        payloadHash: entry.payloadHash,
        x402Version: entry.x402Version,
        signature: entry.signature ?? null,
        reservedUntil: entry.reservedUntil ?? null,
        holder: entry.holder ?? null,
        paymentKey: entry.paymentKey ?? null,
        createdAt: entry.createdAt,
      })
      if (inserted) return { ok: true, entry: toLedgerEntry(inserted), created: true, leased: true }
      const retaken = rereserve.get(
        entry.createdAt,
        entry.reservedUntil ?? null,
        entry.holder ?? null,
        entry.id,
        entry.payloadHash,
        entry.createdAt,
      )
      if (retaken) return { ok: true, entry: toLedgerEntry(retaken), created: false, leased: true }
      const row = selectOne.get(entry.id)
      if (!row) throw new Error(`ledger row ${entry.id} vanished during reserve`)
      const stored = toLedgerEntry(row)
      if (stored.state === 'reserved' && stored.payloadHash === entry.payloadHash) {
        return { ok: true, entry: stored, created: false, leased: false }
      }
      return { ok: false, code: 'authorization_in_use', entry: stored }
    },
    async get(id) {
      const row = selectOne.get(id)
      return row && toLedgerEntry(row)
    },
    async transition(id, { from, to, patch = {}, now }) {
      const states = from.filter((state) => canTransition(state, to))
      const row = states.length > 0 ? update(id, states, to, patch, now) : undefined
      if (row) return { ok: true, entry: toLedgerEntry(row) }
      const current = selectOne.get(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async swapDelivery(id, { expected, next, now }) {
      const row = swapDelivery.get(next ?? null, now, id, expected ?? null)
      if (row) return { ok: true, entry: toLedgerEntry(row) }
      const current = selectOne.get(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async findPayment(paymentKey) {
      const row = findPayment.get(paymentKey)
      return row && toLedgerEntry(row)
    },
    async list({ states, limit = 100 }) {
      if (states.length === 0) return []
      const rows = db
        .prepare<unknown[], Row>(
          `SELECT * FROM ledger WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created_at, id LIMIT ?`,
        )
        .all(...states, limit)
      return rows.map(toLedgerEntry)
    },
    async claim({ states, owner, leaseSeconds, limit, now }) {
      if (states.length === 0 || limit <= 0) return []
      const rows = claimFree(states).all(owner, now + leaseSeconds, ...states, now, limit)
      return rows
        .map(toLedgerEntry)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1))
    },
    async acquireSigner({ signer, owner, leaseSeconds, now, epoch }) {
      const lease = takeSigner.get({
        signer: signer.toLowerCase(),
        owner,
        until: now + leaseSeconds,
        now,
        epoch: epoch ?? null,
      })
      return lease && { epoch: BigInt(lease.epoch), until: BigInt(lease.until) }
    },
    async releaseSigner({ signer, owner, epoch }) {
      dropSigner.run(signer.toLowerCase(), owner, epoch ?? null, epoch ?? null)
    },
    async saveTransaction(transaction, { fence } = {}) {
      return saveFenced.immediate(transaction, fence)
    },
    async getTransaction(hash) {
      const row = selectTransaction.get(hash.toLowerCase())
      return row && toStoredTransaction(row)
    },
    ...sqliteReceipts(db),
    ...sqliteExposure(db),
    audit: {
      async append(records, { head }) {
        return appendAudit.immediate(records, head)
      },
      async head() {
        const row = auditHead.get()
        return row ? { seq: Number(row.seq), hash: row.hash as AuditRecord['hash'] } : undefined
      },
      async read({ afterSeq, limit }) {
        return auditPage.all(afterSeq, limit).map(toAuditRecord)
      },
    },
    async close() {
      if (db.open) db.close()
    },
  }
}
