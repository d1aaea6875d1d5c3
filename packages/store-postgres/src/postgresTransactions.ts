import type { StoredTransaction, TransactionStore } from '@tollgate/facilitator'
import type pg from 'pg'

/** The signed settlement transactions' migration, kept for rebroadcast: hash lowercase, nonce any uint256. */
export const transactionsMigration = (s: string): string => `
CREATE TABLE ${s}.transactions (
  hash text PRIMARY KEY,
  chain_id integer NOT NULL,
  signer text NOT NULL,
  nonce numeric(78, 0) NOT NULL,
  raw text NOT NULL,
  created_at bigint NOT NULL
);`

/** A `transactions` row as `pg` reads it: `numeric` and `bigint` arrive as strings. */
type TransactionRow = { hash: string; chain_id: number; signer: string; nonce: string; raw: string; created_at: string }

const toStoredTransaction = (row: TransactionRow): StoredTransaction => ({
  hash: row.hash as StoredTransaction['hash'],
  chainId: row.chain_id,
  signer: row.signer as StoredTransaction['signer'],
  nonce: BigInt(row.nonce),
  raw: row.raw as StoredTransaction['raw'],
  createdAt: BigInt(row.created_at),
})

/**
 * The Store's signed-transaction journal on PostgreSQL: each method one statement; a fenced write
 * checks the signer's lease in the same statement.
 */
export function postgresTransactions(pool: pg.Pool, schema: string): TransactionStore {
  return {
    async saveTransaction({ hash, chainId, signer, nonce, raw, createdAt }, { fence } = {}) {
      const values = [hash.toLowerCase(), chainId, signer, nonce.toString(), raw, createdAt.toString()]
      if (!fence) {
        await pool.query(
          `INSERT INTO ${schema}.transactions (hash, chain_id, signer, nonce, raw, created_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (hash) DO NOTHING`,
          values,
        )
        return true
      }
      // One statement: the lease row is locked (FOR SHARE) while the transaction is written, so a
      // takeover commits either before the check (refused) or after the write.
      const { rows } = await pool.query<{ held: boolean }>(
        `WITH fence AS (
           SELECT 1 FROM ${schema}.signer_leases
           WHERE signer = lower($3) AND owner = $7 AND epoch = $8::bigint AND until > $9::bigint
           FOR SHARE),
         kept AS (
           INSERT INTO ${schema}.transactions (hash, chain_id, signer, nonce, raw, created_at)
           SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM fence)
           ON CONFLICT (hash) DO NOTHING)
         SELECT EXISTS (SELECT 1 FROM fence) AS held`,
        [...values, fence.owner, fence.epoch.toString(), fence.now.toString()],
      )
      return rows[0]?.held === true
    },
    async getTransaction(hash) {
      const { rows } = await pool.query<TransactionRow>(
        `SELECT hash, chain_id, signer, nonce::text AS nonce, raw, created_at::text AS created_at
         FROM ${schema}.transactions WHERE hash = $1`,
        [hash.toLowerCase()],
      )
      const row = rows[0]
      return row && toStoredTransaction(row)
    },
  }
}
