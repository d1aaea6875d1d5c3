/**
 * Sub-cent payments that pay for their own settlement, on anvil holding Base's fee floor (0.005 gwei
 * base fee, the shipped 0.001 gwei tip cap, an L1 data fee from the stand-in GasPriceOracle), under
 * the facilitator's default gas policy: 50 concurrent $0.001 payments to the demo through the
 * `npm start` stack (the facilitator service over HTTP, the official x402 client) are all served and
 * settled once, batch by batch, and the facilitator's ETH spent, at the shipped TOLLGATE_ETH_USD, is at
 * most the USDC they brought in: from a fresh stack, the seller never paid before (its first payment
 * writes a new balance slot, 17,100 gas more), with no warm-up payment. At 10x the floor a $0.001 payment is refused at /verify (`amount_too_low`, naming
 * the estimated cost) while a $0.05 payment settles alone.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFacilitator, createMemoryStore, readSettlementGasSpent } from '@tollgate/facilitator'
import { afterAll, describe, expect, test } from 'vitest'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { createApp } from '../../apps/facilitator/src/http/app.ts'
import { payDemo, type Stack, startStack } from '../../scripts/stack.ts'
import { baseFeeFloor, localL1Fee, startLocalChain } from '../chain/localChain.ts'

/** The shipped `TOLLGATE_ETH_USD`. */
const ethUsd = 4_000n
/** Wei of ETH as USDC atomic units at `ethUsd`, rounded up. */
const asUsdc = (wei: bigint) => (wei * ethUsd * 10n ** 6n + 10n ** 18n - 1n) / 10n ** 18n

let stack: Stack | undefined
let dataDir: string | undefined
afterAll(async () => {
  await stack?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('sub-cent payments at Base fees', () => {
  test('50 concurrent $0.001 payments to the demo settle once, and their gas costs no more than they bring in', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tollgate-subcent-'))
    stack = await startStack({ chainPort: 0, facilitatorPort: 0, demoPort: 0, dataDir })
    const { chain } = stack
    const signer = stack.facilitator.signer
    const seller = chain.accounts.seller.address
    const [ethBefore, sellerBefore, nonceBefore] = await Promise.all([
      chain.publicClient.getBalance({ address: signer }),
      chain.balanceOf(seller),
      chain.publicClient.getTransactionCount({ address: signer }),
    ])
    const payers = chain.accounts.payers
    const payments = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        payDemo(stack as Stack, { payer: payers[i % payers.length] as (typeof payers)[number] }),
      ),
    )
    expect(payments.map((payment) => payment.status)).toEqual(Array(50).fill(200))
    expect(payments.every((payment) => payment.price === 1_000n)).toBe(true)
    const [ethAfter, sellerAfter, nonceAfter] = await Promise.all([
      chain.publicClient.getBalance({ address: signer }),
      chain.balanceOf(seller),
      chain.publicClient.getTransactionCount({ address: signer }),
    ])
    const broughtIn = sellerAfter - sellerBefore
    expect(broughtIn).toBe(50n * 1_000n) // each settled once
    const transactions = new Set(payments.map((payment) => payment.transaction))
    const spent = ethBefore - ethAfter
    const receipts = await Promise.all(
      [...transactions].map((hash) => chain.publicClient.getTransactionReceipt({ hash: hash as `0x${string}` })),
    )
    const gas = receipts.reduce((sum, receipt) => sum + receipt.gasUsed, 0n)
    console.info(
      `50 x $0.001: ${transactions.size} transaction(s), ${nonceAfter - nonceBefore} sent, ${gas / 50n} gas per payment, ` +
        `${spent} wei spent = ${asUsdc(spent)} USDC atomic at $${ethUsd}/ETH for ${broughtIn} brought in`,
    )
    expect(asUsdc(spent)).toBeLessThanOrEqual(broughtIn)
    // Batch by batch: each transaction's fee is at most what the payments it carried brought in.
    for (const hash of transactions) {
      const measured = await readSettlementGasSpent(chain.publicClient, {
        transaction: hash as `0x${string}`,
        asset: chain.usdc,
      })
      expect(measured).toBeDefined()
      const { payments: carried = 0, feeWei = 0n } = measured ?? {}
      expect(asUsdc(feeWei)).toBeLessThanOrEqual(BigInt(carried) * 1_000n)
    }
    // The metric, measured from the receipt: 50 payments observed at their share of the transaction's gas.
    let text = ''
    for (let i = 0; i < 40 && !/tollgate_settlement_gas_per_payment_count 50\b/.test(text); i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50)) // read after the answers
      text = await (stack as Stack).facilitator.metrics.render()
    }
    const count = /tollgate_settlement_gas_per_payment_count (\d+)/.exec(text)?.[1]
    const sum = /tollgate_settlement_gas_per_payment_sum (\d+)/.exec(text)?.[1]
    expect(Number(count)).toBe(50)
    expect(Math.abs(Number(sum) - Number(gas))).toBeLessThanOrEqual(50) // gasUsed / 50 each, rounded up
    expect(text).not.toMatch(/tollgate_settlement_loss_batches_total\{[^}]*\} [1-9]/)
  }, 120_000)

  test('at 10x the floor a $0.001 payment is refused at /verify with the estimated cost; $0.05 settles alone', async () => {
    const chain = await startLocalChain({ baseFee: 10n * baseFeeFloor, l1Fee: localL1Fee })
    const facilitator = createFacilitator(
      {
        store: createMemoryStore(),
        networks: [{ network: chain.network, client: chain.publicClient, account: chain.accounts.facilitator }],
      },
      {
        recover: createNativeRecover(),
        pollingIntervalMs: 50,
        // The service's defaults: TOLLGATE_ETH_USD, TOLLGATE_MAX_GAS_SHARE, TOLLGATE_MAX_PRIORITY_FEE_PER_GAS.
        gasPolicy: { ethPrice: '4000', maxShare: '0.5' },
        fees: { maxPriorityFeePerGas: 1_000_000n },
      },
    )
    const app = createApp(facilitator)
    try {
      const post = async (path: string, value: bigint, payload: unknown) => {
        const requirements = {
          scheme: 'exact',
          network: chain.network,
          amount: String(value),
          asset: chain.usdc,
          payTo: chain.accounts.seller.address,
          maxTimeoutSeconds: 300,
          extra: { name: 'USD Coin', version: '2' },
        }
        const response = await app.request(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            x402Version: 2,
            paymentPayload: {
              x402Version: 2,
              resource: { url: 'http://127.0.0.1/paid' },
              accepted: requirements,
              payload,
            },
            paymentRequirements: requirements,
          }),
        })
        return (await response.json()) as Record<string, unknown>
      }
      const sign = (value: bigint) =>
        chain.signTransferAuthorization({
          payer: chain.accounts.payers[0],
          to: chain.accounts.seller.address,
          value,
          validAfter: 0n,
          validBefore: BigInt(Math.floor(Date.now() / 1000) + 300),
        })
      const small = await post('/verify', 1_000n, await sign(1_000n))
      expect(small).toMatchObject({ isValid: false, invalidReason: 'amount_too_low' })
      expect(String(small.invalidMessage)).toMatch(/would cost about \d+ atomic units/)
      expect(String(small.invalidMessage)).toMatch(/a price of at least \d+ atomic units/)
      console.info(`at 10x the floor: ${small.invalidMessage}`)

      const payload = await sign(50_000n)
      expect(await post('/verify', 50_000n, payload)).toMatchObject({ isValid: true })
      const settled = await post('/settle', 50_000n, payload)
      expect(settled).toMatchObject({ success: true })
      const receipt = await chain.publicClient.getTransactionReceipt({ hash: settled.transaction as `0x${string}` })
      expect(receipt.to?.toLowerCase()).toBe(chain.usdc.toLowerCase()) // alone: transferWithAuthorization itself
    } finally {
      await facilitator.close()
      await chain.stop()
    }
  }, 60_000)
})
