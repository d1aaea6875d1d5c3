import type { ReceiptRecord } from '../receipts/receiptRecord.ts'
import type { AuditRecord } from './auditStore.ts'
import { addToExposure, judgeOptimisticDelivery, lostStates, noExposure, openStates } from './exposureStore.ts'
import { canTransition } from './ledger.ts'
import type { LedgerEntry } from './ledgerStore.ts'
import type { Store } from './store.ts'
import type { StoredTransaction } from './transactionStore.ts'

const byAge = (a: LedgerEntry, b: LedgerEntry) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/**
 * A Store held in memory: for tests, and for a single process that accepts losing its ledger on
 * restart. Passes {@link storeConformance}.
 *
 * @example
 * import { createMemoryStore } from '@tollgate/facilitator'
 * const store = createMemoryStore()
 */
export function createMemoryStore(): Store {
  const entries = new Map<string, LedgerEntry>()
  const signers = new Map<string, { owner: string; until: bigint; epoch: bigint }>()
  const transactions = new Map<string, StoredTransaction>()
  const receipts = new Map<string, ReceiptRecord>()
  const receiptOfPayment = new Map<string, string>()
  const audit: AuditRecord[] = []
  const copy = (entry: LedgerEntry): LedgerEntry => {
    const out = { ...entry }
    // for…in over a plain object: no key array per copy (this runs twice per verification).
    for (const key in out) if (out[key as keyof LedgerEntry] === undefined) delete out[key as keyof LedgerEntry]
    return out
  }
  return {
    async reserve(entry) {
      const existing = entries.get(entry.id)
      if (!existing) {
        const created: LedgerEntry = { ...entry, state: 'reserved', updatedAt: entry.createdAt }
        entries.set(entry.id, created)
        return { ok: true, entry: copy(created), created: true, leased: true }
      }
      if (
        existing.payloadHash === entry.payloadHash &&
        (existing.state === 'reserved' || existing.state === 'released')
      ) {
        const free =
          existing.state === 'released' ||
          existing.reservedUntil === undefined ||
          existing.reservedUntil <= entry.createdAt
        if (free) {
          existing.state = 'reserved'
          existing.updatedAt = entry.createdAt
          if (entry.reservedUntil === undefined) delete existing.reservedUntil
          else existing.reservedUntil = entry.reservedUntil
          if (entry.holder === undefined) delete existing.holder
          else existing.holder = entry.holder
        }
        return { ok: true, entry: copy(existing), created: false, leased: free }
      }
      return { ok: false, code: 'authorization_in_use', entry: copy(existing) }
    },
    async get(id) {
      const entry = entries.get(id)
      return entry && copy(entry)
    },
    async transition(id, { from, to, patch = {}, now }) {
      const entry = entries.get(id)
      if (!entry || !from.includes(entry.state) || !canTransition(entry.state, to)) {
        return { ok: false, code: 'invalid_transaction_state', entry: entry && copy(entry) }
      }
      Object.assign(entry, patch, { state: to, updatedAt: now })
      return { ok: true, entry: copy(entry) }
    },
    async swapDelivery(id, { expected, next, now }) {
      const entry = entries.get(id)
      const settled = entry?.state === 'settled' || entry?.state === 'preconfirmed'
      if (!entry || !settled || entry.deliveredTo !== expected) {
        return { ok: false, code: 'invalid_transaction_state', entry: entry && copy(entry) }
      }
      if (next === undefined) delete entry.deliveredTo
      else entry.deliveredTo = next
      entry.updatedAt = now
      return { ok: true, entry: copy(entry) }
    },
    async findPayment(paymentKey) {
      const standing = [...entries.values()].filter(
        (entry) => entry.paymentKey === paymentKey && !['failed', 'expired', 'released'].includes(entry.state),
      )
      const newest = standing.sort(byAge).at(-1)
      return newest && copy(newest)
    },
    async list({ states, limit = 100 }) {
      return [...entries.values()]
        .filter((entry) => states.includes(entry.state))
        .sort(byAge)
        .slice(0, limit)
        .map(copy)
    },
    async claim({ states, owner, leaseSeconds, limit, now }) {
      const claimed = [...entries.values()]
        .filter(
          (entry) => states.includes(entry.state) && (entry.claimedUntil === undefined || entry.claimedUntil <= now),
        )
        .sort(byAge)
        .slice(0, Math.max(0, limit))
      for (const entry of claimed) {
        entry.claimedBy = owner
        entry.claimedUntil = now + leaseSeconds
      }
      return claimed.map(copy)
    },
    async acquireSigner({ signer, owner, leaseSeconds, now, epoch }) {
      const key = signer.toLowerCase()
      const held = signers.get(key)
      const own = held?.owner === owner && (epoch === undefined || held.epoch === epoch)
      if (held && held.until > now && !own) return undefined
      const renewal = held?.owner === owner && epoch !== undefined && held.epoch === epoch
      const lease = { owner, until: now + leaseSeconds, epoch: renewal ? epoch : (held?.epoch ?? 0n) + 1n }
      signers.set(key, lease)
      return { epoch: lease.epoch, until: lease.until }
    },
    async releaseSigner({ signer, owner, epoch }) {
      const held = signers.get(signer.toLowerCase())
      if (held?.owner === owner && (epoch === undefined || held.epoch === epoch)) held.until = 0n
    },
    async saveTransaction(transaction, { fence } = {}) {
      if (fence) {
        const held = signers.get(transaction.signer.toLowerCase())
        if (held?.owner !== fence.owner || held.epoch !== fence.epoch || held.until <= fence.now) return false
      }
      const key = transaction.hash.toLowerCase()
      if (!transactions.has(key)) transactions.set(key, { ...transaction })
      return true
    },
    async getTransaction(hash) {
      const transaction = transactions.get(hash.toLowerCase())
      return transaction && { ...transaction }
    },
    // ---- receipts ----
    async putReceipt(record) {
      const held = receiptOfPayment.get(record.paymentId)
      const existing = held === undefined ? undefined : receipts.get(held)
      if (existing) return { ...existing }
      if (receipts.has(record.id)) throw new Error(`receipt id ${record.id} is taken`)
      const kept: ReceiptRecord = { ...record }
      receipts.set(record.id, kept)
      receiptOfPayment.set(record.paymentId, record.id)
      return { ...kept }
    },
    async getReceipt(id) {
      const record = receipts.get(id)
      return record && { ...record }
    },
    async getReceiptOfPayment(paymentId) {
      const id = receiptOfPayment.get(paymentId)
      const record = id === undefined ? undefined : receipts.get(id)
      return record && { ...record }
    },
    async signReceipt(id, { jws, kid, issuedAt, responseHash }) {
      const record = receipts.get(id)
      if (!record) return undefined
      if (record.jws === undefined) {
        Object.assign(record, { jws, kid, issuedAt })
        if (responseHash !== undefined) record.responseHash = responseHash
      }
      return { ...record }
    },
    // ---- end receipts ----
    async takeOptimisticDelivery(id, parameters) {
      const entry = entries.get(id)
      if (!entry) return { ok: false, reason: 'state', entry: undefined }
      const payer = entry.payer.toLowerCase()
      const payTo = entry.payTo.toLowerCase()
      const asset = entry.asset.toLowerCase()
      let payerOpen = 0n
      let sellerOpen = 0n
      let payerLost = false
      for (const other of entries.values()) {
        if (!other.optimistic || other.id === id || other.chainId !== entry.chainId) continue
        const samePayer = other.payer.toLowerCase() === payer
        if (samePayer && (lostStates as readonly string[]).includes(other.state)) payerLost = true
        if (!(openStates as readonly string[]).includes(other.state)) continue
        if (other.asset.toLowerCase() !== asset) continue
        if (samePayer) payerOpen += other.amount
        if (other.payTo.toLowerCase() === payTo) sellerOpen += other.amount
      }
      const verdict = judgeOptimisticDelivery(entry, parameters, { payerOpen, sellerOpen, payerLost })
      if (verdict === 'again') return { ok: true, entry: copy(entry) }
      if (verdict !== true) return { ok: false, reason: verdict, entry: copy(entry) }
      Object.assign(entry, { optimistic: true, deliveredTo: parameters.claim, updatedAt: parameters.now })
      return { ok: true, entry: copy(entry) }
    },
    async exposure(scope) {
      let total = noExposure
      for (const entry of entries.values()) {
        if (!entry.optimistic || entry.chainId !== scope.chainId) continue
        if (entry.asset.toLowerCase() !== scope.asset.toLowerCase()) continue
        const party = scope.payer === undefined ? entry.payTo : entry.payer
        if (party.toLowerCase() !== (scope.payer ?? scope.payTo).toLowerCase()) continue
        total = addToExposure(total, entry)
      }
      return total
    },
    async exposureTotals() {
      let total = noExposure
      for (const entry of entries.values()) if (entry.optimistic) total = addToExposure(total, entry)
      return total
    },
    audit: {
      async append(records, { head }) {
        const last = audit[audit.length - 1]
        if (last?.seq !== head?.seq || last?.hash !== head?.hash) {
          return { ok: false, head: last ? { seq: last.seq, hash: last.hash } : undefined }
        }
        for (const record of records) audit.push({ ...record })
        return { ok: true }
      },
      async head() {
        const last = audit[audit.length - 1]
        return last ? { seq: last.seq, hash: last.hash } : undefined
      },
      async read({ afterSeq, limit }) {
        return audit
          .filter((record) => record.seq > afterSeq)
          .slice(0, limit)
          .map((record) => ({ ...record }))
      },
    },
    async close() {
      receipts.clear()
      receiptOfPayment.clear()
      entries.clear()
      signers.clear()
      transactions.clear()
    },
  }
}
