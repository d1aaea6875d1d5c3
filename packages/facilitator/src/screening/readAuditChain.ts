import type { AuditRecord } from '../store/auditStore.ts'

/** Every record of an audit store, in order, page by page. */
export async function* readAuditChain(
  store: { read(options: { afterSeq: number; limit: number }): Promise<AuditRecord[]> },
  { pageSize = 1_000 }: { pageSize?: number } = {},
): AsyncGenerator<AuditRecord> {
  let after = 0
  for (;;) {
    const page = await store.read({ afterSeq: after, limit: pageSize })
    for (const record of page) yield record
    if (page.length < pageSize) return
    after = (page[page.length - 1] as AuditRecord).seq
  }
}
