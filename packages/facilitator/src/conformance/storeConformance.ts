import { auditConformance } from './auditConformance.ts'
import { type ConformanceCase, type MakeStore, withStore } from './conformanceKit.ts'
import { exposureConformance } from './exposureConformance.ts'
import { leaseConformance } from './leaseConformance.ts'
import { ledgerConformance } from './ledgerConformance.ts'
import { ledgerMoveConformance } from './ledgerMoveConformance.ts'
import { receiptConformance } from './receiptConformance.ts'
import { transactionConformance } from './transactionConformance.ts'

export type { ConformanceCase, MakeStore } from './conformanceKit.ts'

/**
 * The conformance suite every Store adapter passes: reservation semantics, compare-and-set
 * transitions, the transition table and the named ledger moves, field round-trips (bigints included), kept transactions and races. Framework-free:
 * each case is an async function that throws on failure.
 *
 * @example
 * import { storeConformance } from '@tollgate/facilitator/testing'
 * import { describe, test } from 'vitest'
 * describe('conformance', () => {
 *   for (const { name, run } of storeConformance(() => createSqliteStore({ filename: ':memory:' }))) test(name, run)
 * })
 * @see architecture.md (The ledger)
 */
export function storeConformance(makeStore: MakeStore): ConformanceCase[] {
  return [
    ...ledgerConformance(makeStore),
    ...ledgerMoveConformance(makeStore),
    ...leaseConformance(makeStore),
    ...transactionConformance(makeStore),
    ...receiptConformance((body) => withStore(makeStore, body)),
    ...auditConformance(makeStore),
    ...exposureConformance(makeStore),
  ]
}
