/**
 * The same paywall page, served by the demo's Worker entry inside workerd (Miniflare; no `nodejs_compat`, no file
 * reads: the script is a string in the bundle), paid once in headless Chromium with the injected test wallet through
 * Tollgate's facilitator on a real anvil.
 */
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from '../hono/facilitators.ts'
import { type RunningWorker, startWorker } from '../hono/worker.ts'
import { launchChromium } from './chromium.ts'
import { connectWallet, openPaywall, paidContent, waitForStatus } from './paywallPage.ts'
import { installTestWallet } from './testWallet.ts'

const root = join(import.meta.dirname, '..', '..')

let chain: LocalChain
let facilitator: TestFacilitator
let worker: RunningWorker
let browser: Browser

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startTestFacilitator(chain)
  worker = await startWorker(join(root, 'apps/demo/src/worker.ts'), {
    TOLLGATE_FACILITATOR_URL: facilitator.url,
    TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey ?? '',
    TOLLGATE_PAY_TO: chain.accounts.seller.address,
    TOLLGATE_NETWORK: 'eip155:8453',
  })
  browser = await launchChromium()
})

afterAll(async () => {
  try {
    await browser?.close()
  } finally {
    try {
      await worker?.stop()
    } finally {
      try {
        await facilitator?.stop()
      } finally {
        await chain?.stop()
      }
    }
  }
})

test('default: a person pays /weather on the demo Worker with their own wallet, once', async () => {
  const payer = chain.accounts.payers[2]
  const context = await browser.newContext()
  try {
    await installTestWallet(context, { account: payer, rpcUrl: chain.url })
    const before = await chain.balanceOf(chain.accounts.seller.address)
    const { page, response, payments, cspViolations } = await openPaywall(context, `${worker.url}/weather?city=Lagos`)
    expect(response.status()).toBe(402)
    expect((await response.allHeaders())['content-security-policy']).toContain("script-src 'sha256-")
    await connectWallet(page)
    await waitForStatus(page, 'Ready to pay 0.001 USDC')
    await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
    const content = await paidContent(page)
    expect(JSON.parse(content.text)).toMatchObject({ city: 'Lagos', paidBy: payer.address })
    const hash = (await page.locator('#x402-receipt a').textContent()) as `0x${string}`
    expect((await chain.publicClient.getTransactionReceipt({ hash })).status).toBe('success')
    expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(1000n)
    expect(payments).toHaveLength(1)
    expect(cspViolations).toEqual([])
  } finally {
    await context.close()
  }
}, 60_000)
