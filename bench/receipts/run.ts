/**
 * Receipts benchmark, in-process on one core: what a receipt adds to a settled payment, and what
 * checking one costs, each against the official `@x402/extensions` offer-receipt code in the same run.
 *
 * - sign: our `createReceiptSigner` (jose `CompactSign`, JCS payload) against `@x402/extensions`'
 *   `createReceiptJWS` with a jose-backed `JWSSigner`, ES256 and EdDSA;
 * - verify: our `createReceiptVerifier` (JWKS in memory, keys imported per call) against
 *   `verifyReceiptSignatureJWS(receipt, jwk)`;
 * - attach: `attachReceipt` on the SQLite Store (record, sign, compare-and-set), the whole extra work
 *   of one settled `/settle` answer.
 *
 *   node bench/receipts/index.js [--seconds 2] [--write]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  attachReceipt,
  createFacilitator,
  createReceiptSigner,
  type Facilitator,
  generateReceiptKey,
  type ReceiptAlgorithm,
} from '@tollgate/facilitator'
import { createReceiptVerifier } from '@tollgate/hono'
import { createSqliteStore } from '@tollgate/store-sqlite'
import { createReceiptJWS, verifyReceiptSignatureJWS } from '@x402/extensions/offer-receipt'
import { base64url } from 'jose'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { parseFacilitatorRequest } from '../../packages/facilitator/src/request/parseFacilitatorRequest.ts'
import { newLedgerEntry } from '../../packages/facilitator/src/store/newLedgerEntry.ts'
import { writeSection } from '../shared/benchmarksDoc.ts'

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '2' }, write: { type: 'boolean', default: false } },
})
const seconds = Math.min(Number(values.seconds), 10)
const command = `node bench/receipts/index.js${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`

/** Operations per second of `run` over `seconds` (after a short warm-up). */
async function rate(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await run()
  const end = performance.now() + seconds * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) {
    await run()
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

const claims = {
  version: 1,
  network: 'eip155:8453',
  resourceUrl: 'https://api.example.com/weather?city=Lisbon',
  payer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  issuedAt: 1_800_000_000,
  transaction: `0x${'ab'.repeat(32)}`,
  receiptId: 'AAAAAAAAAAAAAAAAAAAAAA',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  amount: '1000',
  blockNumber: '123',
}

type Row = { what: string; ours: number; official: number | undefined }
const rows: Row[] = []

for (const alg of ['ES256', 'EdDSA'] as ReceiptAlgorithm[]) {
  const key = await generateReceiptKey(alg)
  const signer = await createReceiptSigner([key])
  const algorithm = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' }
  const privateKey = await crypto.subtle.importKey(
    'jwk',
    { kty: key.kty, crv: key.crv, x: key.x, y: key.y, d: key.d } as JsonWebKey,
    alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'Ed25519' },
    false,
    ['sign'],
  )
  const official = {
    kid: key.kid,
    format: 'jws' as const,
    algorithm: alg,
    sign: async (payload: Uint8Array) =>
      base64url.encode(
        new Uint8Array(await crypto.subtle.sign(algorithm, privateKey, payload as Uint8Array<ArrayBuffer>)),
      ),
  }
  rows.push({
    what: `sign a receipt, ${alg}`,
    ours: await rate(() => signer.sign(claims)),
    official: await rate(() =>
      createReceiptJWS(
        {
          resourceUrl: claims.resourceUrl,
          payer: claims.payer,
          network: claims.network,
          transaction: claims.transaction,
        },
        official,
      ),
    ),
  })
  const jws = await signer.sign(claims)
  const verify = createReceiptVerifier({ jwks: signer.jwks })
  const jwk = signer.jwks.keys[0] as Parameters<typeof verifyReceiptSignatureJWS>[1]
  rows.push({
    what: `verify a receipt, ${alg}`,
    ours: await rate(async () => {
      const result = await verify(jws)
      if (!result.ok) throw new Error(result.code)
    }),
    official: await rate(() => verifyReceiptSignatureJWS({ format: 'jws', signature: jws }, jwk)),
  })
}

// attachReceipt on SQLite: the extra work of one settled /settle answer (no chain: rows written as settled).
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-bench-receipts-'))
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const client = createPublicClient({ transport: http('http://127.0.0.1:9', { retryCount: 0 }) })
const facilitator: Facilitator = createFacilitator(
  { store: createSqliteStore({ dataDir }), networks: [{ network: 'eip155:8453', client, account }] },
  { receipts: await createReceiptSigner([await generateReceiptKey('ES256')]) },
)
try {
  const requirements = {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: '10000',
    asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    maxTimeoutSeconds: 60,
    extra: { name: 'USD Coin', version: '2' },
  }
  let sequence = 0
  const settledRequest = async () => {
    sequence++
    const parsed = parseFacilitatorRequest(facilitator, {
      x402Version: 2,
      paymentPayload: {
        x402Version: 2,
        accepted: requirements,
        payload: {
          signature: `0x${'11'.repeat(65)}`,
          authorization: {
            from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
            to: requirements.payTo,
            value: '10000',
            validAfter: '0',
            validBefore: '1900000000',
            nonce: `0x${sequence.toString(16).padStart(64, '0')}`,
          },
        },
      },
      paymentRequirements: requirements,
      tollgate: { claim: 'claim-0123456789abcdef', resource: claims.resourceUrl, responseHash: `0x${'5e'.repeat(32)}` },
    })
    if (!parsed.ok) throw new Error(parsed.message)
    const { store } = facilitator
    await store.reserve(newLedgerEntry(parsed.request, 1_800_000_000n))
    for (const [from, to] of [
      ['reserved', 'settling'],
      ['settling', 'submitted'],
      ['submitted', 'settled'],
    ] as const) {
      await store.transition(parsed.request.id, {
        from: [from],
        to,
        patch: to === 'submitted' ? { transaction: claims.transaction as `0x${string}` } : { blockNumber: 1n },
        now: 1_800_000_000n,
      })
    }
    return parsed.request
  }
  const answer = { success: true, payer: claims.payer, transaction: claims.transaction, network: 'eip155:8453' }
  // Same rows, with and without the receipt: the difference is what a receipt costs on top of the ledger writes.
  // Alternated, twice each, so that the file's growth (WAL checkpoints) weighs on both alike; the better of each.
  const without: number[] = []
  const withIt: number[] = []
  for (let round = 0; round < 2; round++) {
    without.push(await rate(async () => settledRequest()))
    withIt.push(await rate(async () => attachReceipt(facilitator, await settledRequest(), answer)))
  }
  const withoutReceipt = Math.max(...without)
  const withReceipt = Math.max(...withIt)
  rows.push({
    what: 'ledger rows of one settled payment (SQLite), without a receipt',
    ours: withoutReceipt,
    official: undefined,
  })
  rows.push({
    what: 'the same, plus attachReceipt (record, ES256 sign, compare-and-set)',
    ours: withReceipt,
    official: undefined,
  })
} finally {
  await facilitator.close()
  rmSync(dataDir, { recursive: true, force: true })
}

const cpu = cpus()[0]?.model ?? 'unknown CPU'
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const lines = [
  '## Receipts',
  '',
  `\`${command}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, ${cpu}).`,
  '',
  'One core, in-process, operations per second over the run (after a warm-up). The official baseline is',
  "`@x402/extensions` 2.27's `createReceiptJWS` (with a Web Crypto signer) and `verifyReceiptSignatureJWS(receipt, jwk)`",
  'in the same process (the official one imports the key on every call; ours keeps the imported key per JWK).',
  'Figures vary by tens of percent between runs on the shared 2-core machine.',
  '',
  '| Operation | Tollgate ops/s | official ops/s | ratio |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(
    (row) =>
      `| ${row.what} | ${fmt(row.ours)} | ${row.official === undefined ? '' : fmt(row.official)} | ${row.official === undefined ? '' : `${(row.ours / row.official).toFixed(2)}×`} |`,
  ),
  '',
]
const without = rows.at(-2)?.ours ?? 0
const withR = rows.at(-1)?.ours ?? 0
lines.push(
  `A receipt adds ${(1000 / withR - 1000 / without || 0).toFixed(2)} ms of CPU and SQLite work to a settled payment (${fmt(without)} -> ${fmt(withR)} per second for the ledger work alone), small beside the settlement's own RPC round trips.`,
  '',
)
const section = lines.join('\n')
process.stdout.write(`${section}\n`)
if (values.write) writeSection('## Receipts', section)
