import type { SqlStorage } from './workersTypes.ts'

export const directorySchema = `
CREATE TABLE IF NOT EXISTS shards (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS payment_keys (payment_key TEXT NOT NULL, shard TEXT NOT NULL, PRIMARY KEY (payment_key, shard)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signers (name TEXT PRIMARY KEY) WITHOUT ROWID;
`

/**
 * The directory object: which ledger shards and signer objects exist, and which shards hold a payment key. It is
 * written before the shard or signer is (so nothing exists that the directory misses) and only read by the
 * operations that span shards: `list`, `claim`, `findPayment`, `getTransaction`.
 */
export function directoryTable(sql: SqlStorage) {
  const names = (table: 'shards' | 'signers') =>
    sql
      .exec<{ name: string }>(`SELECT name FROM ${table} ORDER BY name`)
      .toArray()
      .map((row) => row.name)
  return {
    addShard(shard: string, paymentKey: string | undefined): void {
      sql.exec('INSERT INTO shards (name) VALUES (?) ON CONFLICT DO NOTHING', shard)
      if (paymentKey !== undefined) {
        sql.exec(
          'INSERT INTO payment_keys (payment_key, shard) VALUES (?, ?) ON CONFLICT DO NOTHING',
          paymentKey,
          shard,
        )
      }
    },
    addSigner(name: string): void {
      sql.exec('INSERT INTO signers (name) VALUES (?) ON CONFLICT DO NOTHING', name)
    },
    shards: () => names('shards'),
    signers: () => names('signers'),
    shardsOfPayment(paymentKey: string): string[] {
      return sql
        .exec<{ shard: string }>('SELECT shard FROM payment_keys WHERE payment_key = ?', paymentKey)
        .toArray()
        .map((row) => row.shard)
    },
  }
}
