import { type NewReceiptRecord, newReceiptId } from '../receipts/receiptRecord.ts'
import type { ReceiptStore } from '../store/receiptStore.ts'

type Case = { name: string; run: () => Promise<void> }

function check(condition: boolean, message: string, detail?: unknown): asserts condition {
  if (!condition) {
    const shown = JSON.stringify(detail, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
    throw new Error(detail === undefined ? message : `${message}: ${shown}`)
  }
}

let sequence = 0
function newRecord(overrides: Partial<NewReceiptRecord> = {}): NewReceiptRecord {
  sequence++
  return {
    id: newReceiptId(),
    paymentId: `eip155:8453/0xusdc/0xpayer/0x${sequence.toString(16).padStart(64, '0')}`,
    resourceUrl: 'https://api.example.com/weather?city=Lisbon',
    createdAt: 1_800_000_000n,
    ...overrides,
  }
}

/**
 * The receipt part of the Store conformance suite: one record per payment (first wins, also under
 * concurrency), lookups by receipt id and by payment, and one signature per receipt.
 */
export function receiptConformance(withStore: (body: (store: ReceiptStore) => Promise<void>) => Promise<void>): Case[] {
  return [
    {
      name: 'putReceipt: a new record reads back field for field, by id and by payment',
      run: () =>
        withStore(async (store) => {
          const record = newRecord()
          const kept = await store.putReceipt(record)
          check(kept.id === record.id && kept.responseHash === undefined, 'not kept as given', kept)
          const byId = await store.getReceipt(record.id)
          check(
            byId?.paymentId === record.paymentId &&
              byId.resourceUrl === record.resourceUrl &&
              byId.responseHash === undefined &&
              byId.createdAt === record.createdAt &&
              byId.jws === undefined &&
              byId.issuedAt === undefined,
            'getReceipt differs',
            byId,
          )
          const byPayment = await store.getReceiptOfPayment(record.paymentId)
          check(byPayment?.id === record.id, 'getReceiptOfPayment differs', byPayment)
          check((await store.getReceipt('AAAAAAAAAAAAAAAAAAAAAA')) === undefined, 'an unknown id was found')
        }),
    },
    {
      name: 'putReceipt: the first record of a payment wins; 20 concurrent puts keep one',
      run: () =>
        withStore(async (store) => {
          const first = newRecord()
          await store.putReceipt(first)
          const again = await store.putReceipt({ ...first, id: newReceiptId(), resourceUrl: 'https://other.example/x' })
          check(
            again.id === first.id && again.resourceUrl === first.resourceUrl,
            'a second record replaced the first',
            again,
          )
          const base = newRecord()
          const results = await Promise.all(
            Array.from({ length: 20 }, () => store.putReceipt({ ...base, id: newReceiptId() })),
          )
          check(new Set(results.map((record) => record.id)).size === 1, 'concurrent puts disagree', results)
        }),
    },
    {
      name: 'signReceipt: written once; a second signature leaves the first; unknown id is undefined',
      run: () =>
        withStore(async (store) => {
          const record = newRecord()
          await store.putReceipt(record)
          const responseHash = `0x${'5e'.repeat(32)}` as const
          const signed = await store.signReceipt(record.id, {
            jws: 'a.b.c',
            kid: 'k1',
            issuedAt: 1_800_000_010n,
            responseHash,
          })
          check(
            signed?.jws === 'a.b.c' &&
              signed.kid === 'k1' &&
              signed.issuedAt === 1_800_000_010n &&
              signed.responseHash === responseHash,
            'not signed',
            signed,
          )
          const second = await store.signReceipt(record.id, { jws: 'd.e.f', kid: 'k2', issuedAt: 1_800_000_020n })
          check(
            second?.jws === 'a.b.c' && second.kid === 'k1' && second.responseHash === responseHash,
            'a second signature replaced the first',
            second,
          )
          const bare = newRecord()
          await store.putReceipt(bare)
          const unhashed = await store.signReceipt(bare.id, { jws: 'g.h.i', kid: 'k1', issuedAt: 1n })
          check(unhashed?.responseHash === undefined, 'an absent responseHash reads back as a value', unhashed)
          check((await store.getReceipt(record.id))?.jws === 'a.b.c', 'the signature did not read back')
          const racing = newRecord()
          await store.putReceipt(racing)
          const raced = await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.signReceipt(racing.id, { jws: `x.${i}.y`, kid: 'k', issuedAt: 1n }),
            ),
          )
          check(new Set(raced.map((read) => read?.jws)).size === 1, 'concurrent signatures disagree', raced)
          check(
            (await store.signReceipt('AAAAAAAAAAAAAAAAAAAAAA', { jws: 'a.b.c', kid: 'k', issuedAt: 1n })) === undefined,
            'unknown id signed',
          )
        }),
    },
  ]
}
