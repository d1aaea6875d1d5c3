import type { LeaseStore } from '@tollgate/facilitator'
import type pg from 'pg'
import { toParameter } from './toParameter.ts'

/**
 * The Store's signer leases on PostgreSQL: an acquisition is one `INSERT … ON CONFLICT DO UPDATE …
 * WHERE` on the holder, its epoch and expiry (one winner under concurrency); a release expires the
 * lease if the caller still holds it.
 */
export function postgresSigners(pool: pg.Pool, schema: string): LeaseStore {
  return {
    async acquireSigner({ signer, owner, leaseSeconds, now, epoch }) {
      // A renewal (same owner and epoch) keeps the epoch; any other grant takes the next one.
      const { rows } = await pool.query<{ epoch: string; until: string }>(
        `INSERT INTO ${schema}.signer_leases (signer, owner, until, epoch) VALUES ($1, $2, $3, 1)
         ON CONFLICT (signer) DO UPDATE SET owner = excluded.owner, until = excluded.until,
           epoch = CASE WHEN signer_leases.owner = excluded.owner AND signer_leases.epoch = $5::bigint
             THEN signer_leases.epoch ELSE signer_leases.epoch + 1 END
           WHERE signer_leases.until <= $4
             OR (signer_leases.owner = excluded.owner AND ($5::bigint IS NULL OR signer_leases.epoch = $5::bigint))
         RETURNING epoch::text AS epoch, until::text AS until`,
        [signer.toLowerCase(), owner, (now + leaseSeconds).toString(), now.toString(), toParameter(epoch)],
      )
      const lease = rows[0]
      return lease && { epoch: BigInt(lease.epoch), until: BigInt(lease.until) }
    },
    async releaseSigner({ signer, owner, epoch }) {
      await pool.query(
        `UPDATE ${schema}.signer_leases SET until = 0
         WHERE signer = $1 AND owner = $2 AND ($3::bigint IS NULL OR epoch = $3::bigint)`,
        [signer.toLowerCase(), owner, toParameter(epoch)],
      )
    },
  }
}
