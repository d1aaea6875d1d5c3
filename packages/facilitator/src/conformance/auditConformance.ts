import type { Hex } from 'viem'
import { auditHash, genesisHash } from '../screening/auditHash.ts'
import type { AuditRecord, AuditStore } from '../store/auditStore.ts'
import { type ConformanceCase, type MakeStore, withStore } from './conformanceKit.ts'

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`audit conformance: ${message}`)
}

/** `count` chained records after `head` (or from the start). */
function chainOf(count: number, after?: { seq: number; hash: Hex }): AuditRecord[] {
  const records: AuditRecord[] = []
  let seq = after?.seq ?? 0
  let prevHash = after?.hash ?? genesisHash
  for (let i = 0; i < count; i++) {
    seq++
    const body = JSON.stringify({ decision: 'allow', i, text: 'ünïcode ✓' })
    const at = 1_800_000_000n + BigInt(seq)
    const hash = auditHash({ seq, at, prevHash, body })
    records.push({ seq, at, prevHash, hash, body })
    prevHash = hash
  }
  return records
}

/** The audit trail's cases of the Store conformance suite (see `storeConformance`). */
export function auditConformance(makeStore: MakeStore<{ readonly audit: AuditStore }>): ConformanceCase[] {
  return [
    {
      name: 'audit: an empty chain has no head; appended records read back field for field, in order',
      run: () =>
        withStore(makeStore, async (store) => {
          check((await store.audit.head()) === undefined, 'a new store has an audit head')
          const records = chainOf(5)
          check((await store.audit.append(records, { head: undefined })).ok, 'the first append was refused')
          const read = await store.audit.read({ afterSeq: 0, limit: 10 })
          check(
            JSON.stringify(read, (_, v) => (typeof v === 'bigint' ? `${v}` : v)) ===
              JSON.stringify(records, (_, v) => (typeof v === 'bigint' ? `${v}` : v)),
            'records read back differ',
          )
          const page = await store.audit.read({ afterSeq: 2, limit: 2 })
          check(page.map((r) => r.seq).join() === '3,4', 'paging by seq is wrong')
          const head = await store.audit.head()
          check(head?.seq === 5 && head.hash === records[4]?.hash, 'the head is not the last record')
        }),
    },
    {
      name: 'audit: an append onto a stale head is refused, writes nothing and answers the current head',
      run: () =>
        withStore(makeStore, async (store) => {
          const first = chainOf(2)
          await store.audit.append(first, { head: undefined })
          const stale = await store.audit.append(chainOf(1), { head: undefined })
          check(!stale.ok && stale.head?.seq === 2, 'an append onto an old head was accepted')
          const head = { seq: 2, hash: first[1]?.hash as Hex }
          check((await store.audit.append(chainOf(3, head), { head })).ok, 'an append onto the head was refused')
          check((await store.audit.read({ afterSeq: 0, limit: 100 })).length === 5, 'records were lost or doubled')
        }),
    },
    {
      name: 'audit: 10 concurrent appends onto one head: exactly one lands',
      run: () =>
        withStore(makeStore, async (store) => {
          const results = await Promise.all(
            Array.from({ length: 10 }, () => store.audit.append(chainOf(2), { head: undefined })),
          )
          check(results.filter((r) => r.ok).length === 1, 'not exactly one append won')
          check((await store.audit.read({ afterSeq: 0, limit: 100 })).length === 2, 'more than one append landed')
        }),
    },
  ]
}
