/**
 * Gas per payment of sub-cent payments at Base's fee floor: the `npm start` stack (anvil holding a
 * 0.005 gwei base fee, the facilitator service with its default gas policy, the demo), N concurrent
 * $0.001 payments with the official x402 client; prints the transactions, gas per payment and the
 * ETH spent against the USDC brought in at $4,000/ETH, from a fresh stack (the seller never paid before),
 * and each transaction's gas per payment from its receipt.
 *
 * npx tsx --conditions=@tollgate/source bench/economics/run.ts --payments 50
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readSettlementGasSpent } from '@tollgate/facilitator'
import { payDemo, startStack } from '../../scripts/stack.ts'

const flag = process.argv.indexOf('--payments')
const count = flag > 0 ? Number(process.argv[flag + 1]) : 50
const dataDir = await mkdtemp(join(tmpdir(), 'tollgate-bench-economics-'))
const stack = await startStack({ chainPort: 0, facilitatorPort: 0, demoPort: 0, dataDir })
try {
  const { chain } = stack
  const signer = stack.facilitator.signer
  const ethBefore = await chain.publicClient.getBalance({ address: signer })
  const started = performance.now()
  const payers = chain.accounts.payers
  const payments = await Promise.all(
    Array.from({ length: count }, (_, i) => payDemo(stack, { payer: payers[i % payers.length] as (typeof payers)[0] })),
  )
  const seconds = (performance.now() - started) / 1000
  const spent = ethBefore - (await chain.publicClient.getBalance({ address: signer }))
  const hashes = [...new Set(payments.map((payment) => payment.transaction as `0x${string}`))]
  const receipts = await Promise.all(hashes.map((hash) => chain.publicClient.getTransactionReceipt({ hash })))
  const gas = receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n)
  const served = payments.filter((payment) => payment.status === 200).length
  const batches = await Promise.all(
    hashes.map((transaction) => readSettlementGasSpent(chain.publicClient, { transaction, asset: chain.usdc })),
  )
  console.log(
    JSON.stringify({
      payments: count,
      served,
      seconds: Number(seconds.toFixed(1)),
      transactions: hashes.length,
      gasPerPayment: Number(gas / BigInt(count)),
      spentUsdcAtomic: Number((spent * 4_000n * 10n ** 6n) / 10n ** 18n),
      broughtInUsdcAtomic: count * 1_000,
      batches: batches.map((batch) => ({
        payments: batch?.payments,
        gasPerPayment: Number(batch?.gasPerPayment ?? 0n),
        feeUsdcAtomic: Number(((batch?.feeWei ?? 0n) * 4_000n * 10n ** 6n) / 10n ** 18n),
      })),
    }),
  )
} finally {
  await stack.stop()
  await rm(dataDir, { recursive: true, force: true })
}
