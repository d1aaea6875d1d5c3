import type { Hex } from 'viem'
import type { LeaseStore } from '../store/leaseStore.ts'
import type { LedgerStore, NewLedgerEntry } from '../store/ledgerStore.ts'
import { type ConformanceCase, check, type MakeStore, moveTo, newEntry, withStore } from './conformanceKit.ts'

/** The lease part of the Store conformance suite: reconciler claims on entries, and signer leases with fencing epochs. */
export function leaseConformance(makeStore: MakeStore<LedgerStore & LeaseStore>): ConformanceCase[] {
  return [
    {
      name: 'claim: oldest first, limited, only free entries in the given states, fields written',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = [30n, 10n, 20n, 40n].map((createdAt) => newEntry({ createdAt }))
          for (const entry of entries) await store.reserve(entry)
          await moveTo(store, (entries[3] as NewLedgerEntry).id, ['settling'])
          const first = await store.claim({
            states: ['reserved'],
            owner: 'node-a',
            leaseSeconds: 30n,
            limit: 2,
            now: 100n,
          })
          check(first.map((e) => e.createdAt).join() === '10,20', 'claim order or limit wrong', first)
          check(
            first.every((e) => e.claimedBy === 'node-a' && e.claimedUntil === 130n && e.state === 'reserved'),
            'claim fields wrong',
            first,
          )
          const read = await store.get((entries[1] as NewLedgerEntry).id)
          check(read?.claimedBy === 'node-a' && read.claimedUntil === 130n, 'claim not stored', read)
          const second = await store.claim({
            states: ['reserved', 'settling'],
            owner: 'node-b',
            leaseSeconds: 30n,
            limit: 10,
            now: 129n,
          })
          check(second.map((e) => e.createdAt).join() === '30,40', 'held claims were handed out again', second)
          const later = await store.claim({
            states: ['reserved'],
            owner: 'node-b',
            leaseSeconds: 30n,
            limit: 10,
            now: 130n,
          })
          check(later.map((e) => e.createdAt).join() === '10,20', 'expired claims were not re-claimed', later)
          check(
            later.every((e) => e.claimedBy === 'node-b' && e.claimedUntil === 160n),
            'claim not renewed',
            later,
          )
          const none = await store.claim({
            states: ['settled'],
            owner: 'node-a',
            leaseSeconds: 30n,
            limit: 10,
            now: 500n,
          })
          check(none.length === 0, 'claimed entries outside the states', none)
        }),
    },
    {
      name: 'claim: a transition may clear the claim, which frees the entry',
      run: () =>
        withStore(makeStore, async (store) => {
          const entry = newEntry()
          await store.reserve(entry)
          await store.claim({ states: ['reserved'], owner: 'node-a', leaseSeconds: 60n, limit: 1, now: 100n })
          const moved = await store.transition(entry.id, {
            from: ['reserved'],
            to: 'settling',
            patch: { claimedBy: undefined, claimedUntil: undefined },
            now: 101n,
          })
          check(
            moved.ok && moved.entry.claimedBy === undefined && moved.entry.claimedUntil === undefined,
            'claim kept',
            moved,
          )
          const again = await store.claim({
            states: ['settling'],
            owner: 'node-b',
            leaseSeconds: 60n,
            limit: 1,
            now: 102n,
          })
          check(again.length === 1 && again[0]?.claimedBy === 'node-b', 'cleared claim not free', again)
        }),
    },
    {
      name: 'claim: concurrent claimers never get the same entry',
      run: () =>
        withStore(makeStore, async (store) => {
          const entries = Array.from({ length: 12 }, (_, i) => newEntry({ createdAt: BigInt(i) }))
          for (const entry of entries) await store.reserve(entry)
          const results = await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              store.claim({ states: ['reserved'], owner: `node-${i}`, leaseSeconds: 60n, limit: 3, now: 100n }),
            ),
          )
          const ids = results.flat().map((e) => e.id)
          check(new Set(ids).size === ids.length, 'an entry was claimed twice', ids)
          check(ids.length === 12, 'not every entry was claimed', ids.length)
        }),
    },
    {
      name: 'acquireSigner: one owner at a time, renewable, expiring, released only by its owner',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 100n })) !== undefined,
            'free lease refused',
          )
          check(
            (await store.acquireSigner({ signer: signer.toLowerCase(), owner: 'b', leaseSeconds: 30n, now: 110n })) ===
              undefined,
            'a held lease was given to another owner',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 120n })) !== undefined,
            'renewal refused',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 149n })) === undefined,
            'renewal not kept',
          )
          check(
            (await store.acquireSigner({ signer, owner: 'b', leaseSeconds: 30n, now: 150n })) !== undefined,
            'expired lease refused',
          )
          await store.releaseSigner({ signer, owner: 'a' })
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 151n })) === undefined,
            'non-owner released',
          )
          await store.releaseSigner({ signer: signer.toUpperCase().replace('0X', '0x'), owner: 'b' })
          check(
            (await store.acquireSigner({ signer, owner: 'a', leaseSeconds: 30n, now: 152n })) !== undefined,
            'release did not free',
          )
          const other = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
          check(
            (await store.acquireSigner({ signer: other, owner: 'b', leaseSeconds: 30n, now: 152n })) !== undefined,
            'leases not per signer',
          )
        }),
    },
    {
      name: "reserve: the payer's signature is kept (absent stays absent) and survives transitions",
      run: () =>
        withStore(makeStore, async (store) => {
          // An ERC-6492 wrapped signature is long: ~1.5 KB of hex must fit.
          const signature = `0x${'1b'.repeat(65)}${'6492'.repeat(300)}` as Hex
          const entry = newEntry({ signature })
          await store.reserve(entry)
          check((await store.get(entry.id))?.signature === signature, 'signature not kept')
          await moveTo(store, entry.id, ['settling', 'reserved'])
          check((await store.get(entry.id))?.signature === signature, 'signature lost in a transition')
          const bare = newEntry()
          await store.reserve(bare)
          const read = await store.get(bare.id)
          check(read !== undefined && !('signature' in read), 'an absent signature reads back present', read)
        }),
    },
    {
      name: 'acquireSigner: fencing epochs: a new one at each acquisition, kept by renewals, a stale one refused',
      run: () =>
        withStore(makeStore, async (store) => {
          const signer = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65'
          const take = (owner: string, now: bigint, epoch?: bigint) =>
            store.acquireSigner({ signer, owner, leaseSeconds: 30n, now, ...(epoch === undefined ? {} : { epoch }) })
          const first = await take('a', 100n)
          check(first?.epoch === 1n && first.until === 130n, 'first lease not epoch 1 until now + 30', first)
          const renewed = await take('a', 110n, 1n)
          check(renewed?.epoch === 1n && renewed.until === 140n, 'a renewal changed the epoch or kept the end', renewed)
          // The same owner starting again (a restarted process under the same node id): at once, a new epoch.
          const restarted = await take('a', 115n)
          check(restarted?.epoch === 2n && restarted.until === 145n, 'a restart under the same owner', restarted)
          check((await take('a', 116n, 1n)) === undefined, 'a renewal with a stale epoch was granted')
          check((await take('b', 144n)) === undefined, 'an unexpired lease was taken')
          const taken = await take('b', 145n)
          check(taken?.epoch === 3n, 'an expired lease taken without a new epoch', taken)
          check((await take('a', 146n, 2n)) === undefined, 'the old holder renewed a lease taken from it')
          await store.releaseSigner({ signer, owner: 'b', epoch: 2n })
          check((await take('a', 147n)) === undefined, 'a release at another epoch freed the lease')
          await store.releaseSigner({ signer, owner: 'b', epoch: 3n })
          const again = await take('a', 148n)
          check(again?.epoch === 4n, 'the epoch did not survive a release', again)
        }),
    },
  ]
}
