import type { Exposure, LedgerEntry, Store } from '@tollgate/facilitator'
import { addToExposure, noExposure } from '@tollgate/facilitator/store'
import type { StoreObject } from './StoreObject.ts'
import type { DurableObjectNamespace } from './workersTypes.ts'

export type CreateDurableObjectStoreOptions = {
  /** The {@link StoreObject} binding (`env.STORE`). */
  namespace: DurableObjectNamespace<StoreObject>
  /** Prefixes every object name: several independent Stores in one namespace (tests, tenants). Default `''`. */
  prefix?: string
}

const byAge = (a: LedgerEntry, b: LedgerEntry) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0

/**
 * The ledger shard of an authorization id `eip155:<chainId>/<asset>/<from>/<nonce>`: one object per payer and chain,
 * so every request about one authorization meets in one object (any other id is a shard of its own).
 */
export function ledgerShardOf(id: string): string {
  const [chain, , from, nonce] = id.split('/')
  return chain !== undefined && from !== undefined && nonce !== undefined ? `ledger/${chain}/${from}` : `ledger/${id}`
}

/** The object keeping a payee's optimistic exposure on one chain and asset. */
const payeeObjectOf = ({ chainId, asset, payTo }: Pick<LedgerEntry, 'chainId' | 'asset' | 'payTo'>) =>
  `exposure/${chainId}/${asset.toLowerCase()}/${payTo.toLowerCase()}`

const finalStates = new Set(['settled', 'failed', 'expired', 'released'])

const sumExposure = (parts: readonly Exposure[]): Exposure =>
  parts.reduce(
    (total, part) =>
      addToExposure(
        addToExposure(
          addToExposure(total, { state: 'settled', amount: part.settled }, part.settledCount),
          { state: 'failed', amount: part.lost },
          part.lostCount,
        ),
        { state: 'submitted', amount: part.open },
        part.openCount,
      ),
    noExposure,
  )

/**
 * The facilitator's Store on Durable Objects (SQLite storage), from a Worker or another object: each ledger move is
 * one RPC to the payer's ledger shard, each lease and journal write one to the signer's own object. Operations that
 * span shards (`list`, `claim`, `findPayment`, `getTransaction`) read the directory object, then the shards it
 * names. Passes `storeConformance` in Miniflare.
 *
 * @example
 * import { createDurableObjectStore } from '@tollgate/store-durable-object'
 * const store = createDurableObjectStore({ namespace: env.STORE })
 * @see docs/guides/facilitator-workers.md
 */
export function createDurableObjectStore({ namespace, prefix = '' }: CreateDurableObjectStoreOptions): Store {
  // A fresh stub per call: a stub that saw a reset stays broken (reference/durable-objects.md §6).
  const object = (name: string) => namespace.getByName(prefix + name)
  const directory = () => object('directory')
  const signerObject = (signer: string) => `signer/${signer.toLowerCase()}`
  const shards = async () => (await directory().shards()).map((name) => object(name))
  // Names this isolate already wrote to the directory (written once, never removed: a cache is safe).
  const known = new Set<string>()
  const register = async (name: string, add: () => Promise<void>) => {
    if (known.has(name)) return
    await add()
    known.add(name)
  }
  const addSigner = (signer: string) => {
    const name = signerObject(signer)
    return register(name, () => directory().addSigner(name))
  }

  /** Closes the payee's holds whose rows are final (left open by a crash between a move and its close). */
  const recheckHolds = async (payee: ReturnType<typeof object>) => {
    const ids = await payee.openExposureHolds(100)
    const rows = await Promise.all(ids.map((id) => object(ledgerShardOf(id)).get(id)))
    await Promise.all(
      rows.map((row, i) =>
        row === undefined || finalStates.has(row.state) ? payee.closeExposure(ids[i] as string) : undefined,
      ),
    )
  }

  return {
    async reserve(entry) {
      const shard = ledgerShardOf(entry.id)
      if (entry.paymentKey === undefined) await register(shard, () => directory().addShard(shard, undefined))
      else await directory().addShard(shard, entry.paymentKey)
      return object(shard).reserve(entry)
    },
    get: (id) => object(ledgerShardOf(id)).get(id),
    async transition(id, parameters) {
      const result = await object(ledgerShardOf(id)).transition(id, parameters)
      // A final optimistic row no longer counts against its payee.
      if (result.ok && result.entry.optimistic && finalStates.has(result.entry.state)) {
        await object(payeeObjectOf(result.entry)).closeExposure(id)
      }
      return result
    },
    swapDelivery: (id, parameters) => object(ledgerShardOf(id)).swapDelivery(id, parameters),
    async findPayment(paymentKey) {
      const names = await directory().shardsOfPayment(paymentKey)
      const found = await Promise.all(names.map((name) => object(name).findPayment(paymentKey)))
      return found
        .filter((entry) => entry !== undefined)
        .sort(byAge)
        .at(-1)
    },
    async list({ states, limit = 100 }) {
      const lists = await Promise.all((await shards()).map((shard) => shard.list({ states, limit })))
      return lists.flat().sort(byAge).slice(0, Math.max(0, limit))
    },
    async claim({ states, owner, leaseSeconds, limit, now }) {
      // Oldest first across shards as far as it can be without a global lock: shards in the order of their oldest
      // claimable entry, each claim atomic in its shard (so no entry is ever claimed twice).
      const all = await shards()
      const oldest = await Promise.all(all.map((shard) => shard.oldestClaimable(states, now)))
      const order = all
        .map((shard, i) => ({ shard, at: oldest[i] }))
        .filter((candidate) => candidate.at !== undefined)
        .sort((a, b) => ((a.at as bigint) < (b.at as bigint) ? -1 : (a.at as bigint) > (b.at as bigint) ? 1 : 0))
      const claimed: LedgerEntry[] = []
      for (const { shard } of order) {
        if (claimed.length >= limit) break
        claimed.push(...(await shard.claim({ states, owner, leaseSeconds, limit: limit - claimed.length, now })))
      }
      return claimed.sort(byAge)
    },
    // Optimistic delivery: the payer's limit and losses in its shard, the payee's limit in the payee's object (a hold
    // taken before the shard marks the row, given back if it does not), so concurrent takers from any payer meet.
    async takeOptimisticDelivery(id, parameters) {
      const shard = object(ledgerShardOf(id))
      const { entry, verdict } = await shard.judgeOptimistic(id, parameters)
      if (!entry) return { ok: false, reason: 'state', entry: undefined }
      if (verdict === 'again') return { ok: true, entry }
      if (verdict !== true) return { ok: false, reason: verdict, entry }
      const payee = object(payeeObjectOf(entry))
      const hold = () => payee.holdExposure(id, entry.amount, parameters.maxPerSeller, parameters.now)
      if (!(await hold())) {
        await recheckHolds(payee)
        if (!(await hold())) return { ok: false, reason: 'seller_exposure', entry }
      }
      let taken: Awaited<ReturnType<Store['takeOptimisticDelivery']>> | undefined
      try {
        taken = await shard.takeOptimistic(id, parameters)
        return taken
      } finally {
        await payee.leaveExposure(id, taken?.ok === true)
      }
    },
    async exposure(scope) {
      return sumExposure(await Promise.all((await shards()).map((shard) => shard.exposureOf(scope))))
    },
    async exposureTotals() {
      return sumExposure(await Promise.all((await shards()).map((shard) => shard.exposureOf(undefined))))
    },
    async acquireSigner(parameters) {
      await addSigner(parameters.signer)
      return object(signerObject(parameters.signer)).acquireSigner(parameters)
    },
    releaseSigner: (parameters) => object(signerObject(parameters.signer)).releaseSigner(parameters),
    async saveTransaction(transaction, { fence } = {}) {
      await addSigner(transaction.signer)
      return object(signerObject(transaction.signer)).saveTransaction(transaction, fence)
    },
    async getTransaction(hash) {
      const names = await directory().signers()
      const found = await Promise.all(names.map((name) => object(name).getTransaction(hash)))
      return found.find((transaction) => transaction !== undefined)
    },
    putReceipt: (record) => object('receipts').putReceipt(record),
    getReceipt: (id) => object('receipts').getReceipt(id),
    getReceiptOfPayment: (paymentId) => object('receipts').getReceiptOfPayment(paymentId),
    signReceipt: (id, signature) => object('receipts').signReceipt(id, signature),
    audit: {
      append: (records, { head }) => object('audit').appendAudit(records, head),
      head: () => object('audit').auditHead(),
      read: ({ afterSeq, limit }) => object('audit').readAudit(afterSeq, limit),
    },
    async close() {
      known.clear()
    },
  }
}
