import type { Hex } from 'viem'
import type { LeaseStore } from '../store/leaseStore.ts'
import type { TransactionStore } from '../store/transactionStore.ts'
import {
  type ConformanceCase,
  check,
  type MakeStore,
  newTransaction,
  sameTransaction,
  upper,
  withStore,
} from './conformanceKit.ts'

/** The kept-transaction part of the Store conformance suite: fenced writes under signer epochs, round-trips, case-insensitive hashes, first save wins. */
export function transactionConformance(makeStore: MakeStore<TransactionStore & LeaseStore>): ConformanceCase[] {
  return [
    {
      name: 'saveTransaction: a fenced write is kept only under the current, unexpired epoch of its signer',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc'
          const a = await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })
          check(a !== undefined, 'free lease refused')
          const kept = newTransaction({ signer })
          check(
            await store.saveTransaction(kept, { fence: { owner: 'a', epoch: a.epoch, now: 101n } }),
            'fenced write refused',
          )
          check((await store.getTransaction(kept.hash)) !== undefined, 'fenced write not kept')
          const b = await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 130n })
          check(b !== undefined && b.epoch > a.epoch, 'takeover without a new epoch', b)
          const stale = newTransaction({ signer, nonce: 8n })
          const refused = await store.saveTransaction(stale, { fence: { owner: 'a', epoch: a.epoch, now: 131n } })
          check(!refused, 'a write under a lost lease was kept')
          check((await store.getTransaction(stale.hash)) === undefined, 'a refused write left a transaction')
          check(
            !(await store.saveTransaction(stale, { fence: { owner: 'a', epoch: b.epoch, now: 131n } })),
            "a write under another owner's epoch was kept",
          )
          const current = newTransaction({ signer, nonce: 9n })
          check(
            await store.saveTransaction(current, { fence: { owner: 'b', epoch: b.epoch, now: 159n } }),
            'a write under the current lease was refused',
          )
          const late = newTransaction({ signer, nonce: 10n })
          check(
            !(await store.saveTransaction(late, { fence: { owner: 'b', epoch: b.epoch, now: 160n } })),
            'a write under an expired lease was kept',
          )
          const elsewhere = newTransaction({ signer: '0x976EA74026E726554dB657fA54763abd0C3a0aa9', nonce: 11n })
          check(
            !(await store.saveTransaction(elsewhere, { fence: { owner: 'b', epoch: b.epoch, now: 140n } })),
            'a write for a signer the fence does not lease was kept',
          )
          check(await store.saveTransaction(late), 'an unfenced write was refused')
        }),
    },
    {
      name: 'saveTransaction: 10 fenced writes racing a takeover: each is either refused or kept, as answered',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x14dC79964da2C08b23698B3D3cc7Ca32193d9955'
          const a = await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })
          check(a !== undefined, 'free lease refused')
          const writes = Array.from({ length: 10 }, (_, i) => newTransaction({ signer, nonce: BigInt(20 + i) }))
          const [taken, ...answers] = await Promise.all([
            store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 130n }),
            ...writes.map((write) =>
              store.saveTransaction(write, { fence: { owner: 'a', epoch: a.epoch, now: 129n } }),
            ),
          ])
          check(taken !== undefined, 'takeover of an expired lease refused')
          for (const [i, write] of writes.entries()) {
            const stored = await store.getTransaction(write.hash)
            check((stored !== undefined) === answers[i], 'a fenced write answered otherwise than it did', {
              i,
              answers,
            })
          }
          const after = newTransaction({ signer, nonce: 40n })
          check(
            !(await store.saveTransaction(after, { fence: { owner: 'a', epoch: a.epoch, now: 129n } })),
            'a write after the takeover was kept',
          )
        }),
    },
    {
      name: 'acquireSigner: of 10 concurrent owners exactly one gets a free signer',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x90F79bf6EB2c4f870365E785982E1f101E93b906'
          const results = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.acquireSigner({ signer, owner: `node-${i}`, leaseSeconds: 30n, now: 100n }),
            ),
          )
          check(results.filter((lease) => lease !== undefined).length === 1, 'not exactly one lease holder', results)
        }),
    },
    {
      name: 'saveTransaction: a kept transaction reads back field for field (large nonce, ~60 KB raw)',
      run: () =>
        withStore(makeStore, async (store) => {
          // A batch settlement can be large: ~60 KB of hex must fit.
          const transaction = newTransaction({
            chainId: 84532,
            nonce: 2n ** 40n + 3n,
            raw: `0x02${'f8ab'.repeat(15_000)}`,
            createdAt: 1_800_000_123n,
          })
          await store.saveTransaction(transaction)
          const read = await store.getTransaction(transaction.hash)
          check(read !== undefined, 'getTransaction after saveTransaction returned nothing')
          check(sameTransaction(read, transaction), 'fields do not round-trip', {
            read: { ...read, raw: `${read.raw.slice(0, 16)}… (${read.raw.length} chars)` },
            transaction: { ...transaction, raw: `${transaction.raw.slice(0, 16)}… (${transaction.raw.length} chars)` },
          })
          check(typeof read.nonce === 'bigint' && typeof read.createdAt === 'bigint', 'bigints not read back', read)
          check(typeof read.chainId === 'number', 'chainId is not a number', read)
        }),
    },
    {
      name: 'getTransaction: the hash is compared case-insensitively',
      run: () =>
        withStore(makeStore, async (store) => {
          const transaction = newTransaction()
          await store.saveTransaction(transaction)
          for (const hash of [transaction.hash.toLowerCase() as Hex, upper(transaction.hash)]) {
            const read = await store.getTransaction(hash)
            check(read !== undefined && sameTransaction(read, transaction), `not found by ${hash}`, read)
          }
        }),
    },
    {
      name: 'saveTransaction: the same hash again (any case) changes nothing',
      run: () =>
        withStore(makeStore, async (store) => {
          const first = newTransaction()
          await store.saveTransaction(first)
          const second = { ...first, nonce: 8n, raw: `0x02f8${'d1'.repeat(60)}`, createdAt: 1_800_000_005n } as const
          await store.saveTransaction(second)
          await store.saveTransaction({ ...second, hash: upper(first.hash) })
          const read = await store.getTransaction(first.hash)
          check(read !== undefined && sameTransaction(read, first), 'the first transaction was not kept', read)
        }),
    },
    {
      name: 'getTransaction: an unknown hash is undefined',
      run: () =>
        withStore(makeStore, async (store) => {
          await store.saveTransaction(newTransaction())
          const read = await store.getTransaction(`0x${'00'.repeat(32)}`)
          check(read === undefined, 'unknown hash returned a transaction', read)
        }),
    },
    {
      name: 'saveTransaction: 20 concurrent saves of one hash keep one of them',
      run: () =>
        withStore(makeStore, async (store) => {
          const base = newTransaction()
          const saves = Array.from({ length: 20 }, (_, i) => ({ ...base, nonce: BigInt(i) }))
          await Promise.all(saves.map((transaction) => store.saveTransaction(transaction)))
          const read = await store.getTransaction(base.hash)
          check(
            read !== undefined && saves.some((transaction) => sameTransaction(read, transaction)),
            'no saved transaction was kept',
            read,
          )
        }),
    },
  ]
}
