/** What the Store conformance suite's parts share: case types, assertions, fixtures. */
import type { Hex } from 'viem'
import type { LedgerEntry, LedgerState, LedgerStore, NewLedgerEntry } from '../store/ledgerStore.ts'
import type { Store } from '../store/store.ts'
import type { StoredTransaction } from '../store/transactionStore.ts'

/** One case of the Store conformance suite: run it under any test runner. */
export type ConformanceCase = { name: string; run: () => Promise<void> }

/** What a case closes when it ends. */
export type Closable = { close(): Promise<void> }

/**
 * Makes a fresh, empty store for one case; the case closes it. A suite of one port asks for that port
 * only (`MakeStore<LedgerStore>`); a whole {@link Store} passes every suite.
 */
export type MakeStore<S = Store> = () => (S & Closable) | Promise<S & Closable>

export class ConformanceFailure extends Error {
  override name = 'ConformanceFailure'
}

export function check(condition: boolean, message: string, detail?: unknown): asserts condition {
  if (!condition) {
    throw new ConformanceFailure(detail === undefined ? message : `${message}: ${stringify(detail)}`)
  }
}

export const stringify = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))

let sequence = 0
export function newEntry(overrides: Partial<NewLedgerEntry> = {}): NewLedgerEntry {
  sequence++
  const nonce = `0x${sequence.toString(16).padStart(64, '0')}` as Hex
  return {
    id: `eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/${nonce}`,
    network: 'eip155:8453',
    chainId: 8453,
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    amount: 10_000n,
    nonce,
    validAfter: 0n,
    validBefore: 1_900_000_000n,
    payloadHash: `0x${'ab'.repeat(32)}`,
    x402Version: 2,
    createdAt: 1_800_000_000n,
    ...overrides,
  }
}

export function newTransaction(overrides: Partial<StoredTransaction> = {}): StoredTransaction {
  sequence++
  return {
    // Mixed case on purpose: hashes are compared case-insensitively.
    hash: `0x${sequence.toString(16).padStart(8, '0')}${'aB'.repeat(28)}`,
    chainId: 8453,
    signer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    nonce: 7n,
    raw: `0x02f8${'c0'.repeat(60)}`,
    createdAt: 1_800_000_000n,
    ...overrides,
  }
}

export const sameTransaction = (actual: StoredTransaction, expected: StoredTransaction) =>
  actual.hash.toLowerCase() === expected.hash.toLowerCase() &&
  actual.chainId === expected.chainId &&
  actual.signer === expected.signer &&
  actual.nonce === expected.nonce &&
  actual.raw === expected.raw &&
  actual.createdAt === expected.createdAt

export const upper = (hash: Hex): Hex => `0x${hash.slice(2).toUpperCase()}`

export const sameEntry = (actual: LedgerEntry, expected: Partial<LedgerEntry>) =>
  Object.entries(expected).every(([key, value]) => actual[key as keyof LedgerEntry] === value)

export async function withStore<S>(
  makeStore: MakeStore<S>,
  body: (store: S & Closable) => Promise<void>,
): Promise<void> {
  const store = await makeStore()
  try {
    await body(store)
  } finally {
    await store.close()
  }
}

export const moveTo = async (store: LedgerStore, id: string, path: readonly LedgerState[], now = 1_800_000_001n) => {
  let from: LedgerState = 'reserved'
  for (const to of path) {
    const result = await store.transition(id, { from: [from], to, now })
    check(result.ok, `transition ${from} -> ${to} refused`, result)
    from = to
  }
}
