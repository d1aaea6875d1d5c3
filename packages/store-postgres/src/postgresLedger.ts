import type { LedgerEntry, LedgerStore } from '@tollgate/facilitator'
import {
  canTransition,
  type LedgerRow,
  ledgerPatchColumns,
  ledgerPatchKeys,
  toLedgerEntry,
} from '@tollgate/facilitator/store'
import type pg from 'pg'
import { toParameter } from './toParameter.ts'

const byAge = (a: LedgerEntry, b: LedgerEntry) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/**
 * The Store's ledger of payments on PostgreSQL, every method one statement: reservation is
 * `INSERT … ON CONFLICT DO NOTHING`, a lease re-take and every transition a conditional `UPDATE`
 * (one winner under concurrency), `claim` picks rows with `FOR UPDATE SKIP LOCKED`.
 */
export function postgresLedger(pool: pg.Pool, schema: string): LedgerStore {
  const ledger = `${schema}.ledger`
  const one = async (sql: string, parameters: unknown[]): Promise<LedgerRow | undefined> =>
    (await pool.query<LedgerRow>(sql, parameters)).rows[0]
  const selectOne = (id: string) => one(`SELECT * FROM ${ledger} WHERE id = $1`, [id])

  return {
    async reserve(entry) {
      const reservedUntil = toParameter(entry.reservedUntil)
      const createdAt = entry.createdAt.toString()
      const inserted = await one(
        `INSERT INTO ${ledger} (id, state, network, chain_id, asset, payer, pay_to, amount, nonce, valid_after,
           valid_before, payload_hash, x402_version, reserved_until, created_at, updated_at, signature, holder,
           payment_key)
         VALUES ($1, 'reserved', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17)
         ON CONFLICT (id) DO NOTHING
         RETURNING *`,
        [
          entry.id,
          entry.network,
          entry.chainId,
          entry.asset,
          entry.payer,
          entry.payTo,
          entry.amount.toString(),
          entry.nonce,
          entry.validAfter.toString(),
          entry.validBefore.toString(),
          entry.payloadHash,
          entry.x402Version,
          reservedUntil,
          createdAt,
          entry.signature ?? null,
          entry.holder ?? null,
          entry.paymentKey ?? null,
        ],
      )
      if (inserted) return { ok: true, entry: toLedgerEntry(inserted), created: true, leased: true }
      // Re-take a released reservation or an expired lease: a conditional UPDATE, so one caller wins.
      const retaken = await one(
        `UPDATE ${ledger} SET state = 'reserved', updated_at = $1, reserved_until = $2, holder = $5
         WHERE id = $3 AND payload_hash = $4
           AND (state = 'released' OR (state = 'reserved' AND (reserved_until IS NULL OR reserved_until <= $1)))
         RETURNING *`,
        [createdAt, reservedUntil, entry.id, entry.payloadHash, entry.holder ?? null],
      )
      if (retaken) return { ok: true, entry: toLedgerEntry(retaken), created: false, leased: true }
      const row = await selectOne(entry.id)
      if (!row) throw new Error(`ledger row ${entry.id} vanished during reserve`)
      const stored = toLedgerEntry(row)
      if (stored.state === 'reserved' && stored.payloadHash === entry.payloadHash) {
        return { ok: true, entry: stored, created: false, leased: false }
      }
      return { ok: false, code: 'authorization_in_use', entry: stored }
    },
    async get(id) {
      const row = await selectOne(id)
      return row && toLedgerEntry(row)
    },
    async transition(id, { from, to, patch = {}, now }) {
      const states = from.filter((state) => canTransition(state, to))
      if (states.length > 0) {
        const keys = ledgerPatchKeys.filter((key) => key in patch)
        const sets = keys.map((key, index) => `, ${ledgerPatchColumns[key]} = $${index + 5}`).join('')
        const row = await one(
          `UPDATE ${ledger} SET state = $1, updated_at = $2${sets} WHERE id = $3 AND state = ANY($4::text[]) RETURNING *`,
          [to, now.toString(), id, states, ...keys.map((key) => toParameter(patch[key]))],
        )
        if (row) return { ok: true, entry: toLedgerEntry(row) }
      }
      const current = await selectOne(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async swapDelivery(id, { expected, next, now }) {
      const row = await one(
        `UPDATE ${ledger} SET delivered_to = $1, updated_at = $2
         WHERE id = $3 AND state IN ('settled', 'preconfirmed') AND delivered_to IS NOT DISTINCT FROM $4
         RETURNING *`,
        [next ?? null, now.toString(), id, expected ?? null],
      )
      if (row) return { ok: true, entry: toLedgerEntry(row) }
      const current = await selectOne(id)
      return { ok: false, code: 'invalid_transaction_state', entry: current && toLedgerEntry(current) }
    },
    async findPayment(paymentKey) {
      const row = await one(
        `SELECT * FROM ${ledger} WHERE payment_key = $1 AND state NOT IN ('failed', 'expired', 'released')
         ORDER BY created_at DESC, id DESC LIMIT 1`,
        [paymentKey],
      )
      return row && toLedgerEntry(row)
    },
    async list({ states, limit = 100 }) {
      if (states.length === 0) return []
      const { rows } = await pool.query<LedgerRow>(
        `SELECT * FROM ${ledger} WHERE state = ANY($1::text[]) ORDER BY created_at, id LIMIT $2`,
        [states, limit],
      )
      return rows.map(toLedgerEntry)
    },
    async claim({ states, owner, leaseSeconds, limit, now }) {
      if (states.length === 0 || limit <= 0) return []
      const { rows } = await pool.query<LedgerRow>(
        `WITH picked AS (
           SELECT id FROM ${ledger}
           WHERE state = ANY($1::text[]) AND (claimed_until IS NULL OR claimed_until <= $2)
           ORDER BY created_at, id LIMIT $3
           FOR UPDATE SKIP LOCKED)
         UPDATE ${ledger} AS l SET claimed_by = $4, claimed_until = $5
         FROM picked WHERE l.id = picked.id
         RETURNING l.*`,
        [states, now.toString(), limit, owner, (now + leaseSeconds).toString()],
      )
      return rows.map(toLedgerEntry).sort(byAge)
    },
  }
}
