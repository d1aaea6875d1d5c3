/**
 * A person pays in the browser: the demo API's paywall page in headless Chromium (Debian's package, driven by
 * playwright-core), an injected EIP-1193 wallet that announces itself by EIP-6963 and signs with an anvil dev key,
 * Tollgate's facilitator over HTTP and a real anvil. Each test clicks through the page and reads the outcome on chain:
 * paid once, or nothing charged. Every state a person meets has a test.
 */
import { gzipSync } from 'node:zlib'
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { decodeHeader, paymentPayloadV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { LocalAccount } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { createDemoApp } from '../../apps/demo/src/app.ts'
import { parseDemoConfig } from '../../apps/demo/src/config.ts'
import { type RunningDemo, startDemo } from '../../apps/demo/src/server.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from '../hono/facilitators.ts'
import { listen, type Seller } from '../hono/listen.ts'
import { launchChromium } from './chromium.ts'
import { connectWallet, focused, openPaywall, paidContent, waitForStatus } from './paywallPage.ts'
import { installTestWallet, type TestWalletOptions } from './testWallet.ts'

const timeout = 60_000

let chain: LocalChain
let facilitator: TestFacilitator
let demo: RunningDemo
let browser: Browser
const contexts: BrowserContext[] = []
const sellers: Seller[] = []

beforeAll(async () => {
  chain = await startLocalChain()
  facilitator = await startTestFacilitator(chain, 'tollgate', {
    // An unmined settlement answers pending after 3 s (the pending test stops mining); the reconciler runs often.
    TOLLGATE_RECEIPT_TIMEOUT_MS: '3000',
    TOLLGATE_POLLING_INTERVAL_MS: '50',
    TOLLGATE_RECONCILE_INTERVAL_MS: '500',
  })
  demo = await startDemo(
    parseDemoConfig({
      TOLLGATE_DEMO_PORT: '0',
      TOLLGATE_FACILITATOR_URL: facilitator.url,
      TOLLGATE_FACILITATOR_API_KEY: facilitator.apiKey ?? '',
      TOLLGATE_PAY_TO: chain.accounts.seller.address,
    }),
  )
  browser = await launchChromium()
})

afterEach(async () => {
  await chain.testClient.setAutomine(true) // a failed pending test leaves mining off for the next (instant mining after)
  await Promise.all(contexts.splice(0).map((context) => context.close()))
  await Promise.all(sellers.splice(0).map((seller) => seller.stop()))
})

afterAll(async () => {
  try {
    await browser?.close()
  } finally {
    try {
      await demo?.stop()
    } finally {
      try {
        await facilitator?.stop()
      } finally {
        await chain?.stop()
      }
    }
  }
})

/** A fresh browser profile, with the test wallet of `payer` installed unless `wallet` is false. */
async function browserWith(payer: LocalAccount | undefined, wallet: Partial<TestWalletOptions> = {}) {
  const context = await browser.newContext()
  contexts.push(context)
  const installed = payer
    ? await installTestWallet(context, { account: payer, rpcUrl: chain.url, ...wallet })
    : undefined
  return { context, wallet: installed }
}

async function balances(payer: LocalAccount) {
  const [seller, buyer] = await Promise.all([
    chain.balanceOf(chain.accounts.seller.address),
    chain.balanceOf(payer.address),
  ])
  return { seller, buyer }
}

/** The transaction the page links as the receipt: it must be mined and successful. */
async function expectMinedReceipt(page: Page): Promise<string> {
  const link = page.locator('#x402-receipt a')
  const hash = (await link.textContent()) ?? ''
  expect(hash).toMatch(/^0x[0-9a-f]{64}$/)
  expect(await link.getAttribute('href')).toBe(`https://basescan.org/tx/${hash}`)
  const receipt = await chain.publicClient.getTransactionReceipt({ hash: hash as `0x${string}` })
  expect(receipt.status).toBe('success')
  return hash
}

describe('a person pays the demo with their own wallet', () => {
  test(
    'default: /weather: the page finds the wallet, shows the offer and the balance, pays once, shows the JSON and the receipt',
    async () => {
      const payer = chain.accounts.payers[0]
      const { context, wallet } = await browserWith(payer)
      const before = await balances(payer)
      const { page, response, payments, cspViolations } = await openPaywall(context, `${demo.url}/weather?city=Oslo`)
      expect(response.status()).toBe(402)
      const csp = (await response.allHeaders())['content-security-policy'] ?? ''
      expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'(;|$)/)
      const gzipped = gzipSync(await response.body(), { level: 9 }).length
      console.log(`demo /weather paywall page: ${gzipped} bytes gzipped (-9), budget 30720`)
      expect(gzipped).toBeLessThanOrEqual(30 * 1024)
      const shown = (await page.locator('main').textContent()) ?? ''
      for (const fact of ['0.001 USDC', 'Base', 'eip155:8453', chain.accounts.seller.address, chain.usdc, '/weather']) {
        expect(shown).toContain(fact)
      }

      await waitForStatus(page, 'Choose the wallet to pay with.')
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay 0.001 USDC')
      expect(await page.locator('#x402-account').textContent()).toContain(
        `${payer.address} (Test Wallet) · balance 1000 USDC`,
      )
      expect(await focused(page)).toBe('x402-pay')
      await page.keyboard.press('Enter') // the focused Pay button, from the keyboard

      const content = await paidContent(page)
      expect(content.kind).toBe('json')
      expect(JSON.parse(content.text)).toMatchObject({ city: 'Oslo', paidBy: payer.address })
      expect(content.text).toContain('\n  "city": "Oslo"') // indented, readable
      expect(content.receipt).toContain('Paid 0.001 USDC.')
      await expectMinedReceipt(page)
      expect(await focused(page)).toBe('x402-result-title')
      await waitForStatus(page, 'Paid. Your purchase is below.')

      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(1000n)
      expect(before.buyer - after.buyer).toBe(1000n)
      expect(payments).toHaveLength(1)
      const payment = decodeHeader(paymentPayloadV2Schema, payments[0])
      expect(payment.accepted).toMatchObject({
        amount: '1000',
        payTo: chain.accounts.seller.address,
        asset: chain.usdc,
      })
      expect(wallet?.calls.filter((call) => call.method === 'eth_signTypedData_v4')).toHaveLength(1)
      expect(cspViolations).toEqual([])
    },
    timeout,
  )

  test(
    'behavior: /history settles before the handler; a wallet found only at window.ethereum pays it',
    async () => {
      const payer = chain.accounts.payers[1]
      const { context } = await browserWith(payer, { announce: false })
      const before = await balances(payer)
      const { page, cspViolations } = await openPaywall(context, `${demo.url}/history?city=Lima`)
      await page.getByRole('button', { name: 'Connect Browser wallet' }).click()
      await waitForStatus(page, 'Ready to pay 0.01 USDC')
      await page.getByRole('button', { name: 'Pay 0.01 USDC' }).click()
      const content = await paidContent(page)
      const body = JSON.parse(content.text)
      expect(body.city).toBe('Lima')
      expect(body.observations).toHaveLength(30)
      expect(await expectMinedReceipt(page)).toBe(body.transaction)
      const after = await balances(payer)
      expect(after.seller - before.seller).toBe(10_000n)
      expect(before.buyer - after.buyer).toBe(10_000n)
      expect(cspViolations).toEqual([])
    },
    timeout,
  )
})

describe('every state a person meets', () => {
  test(
    'behavior: no wallet: the page says so and offers nothing to click',
    async () => {
      const { context } = await browserWith(undefined)
      const { page } = await openPaywall(context, `${demo.url}/weather`)
      expect(await waitForStatus(page, 'No wallet found')).toContain('Install a browser wallet')
      expect(await page.locator('#x402-wallets li').count()).toBe(0)
      expect(await page.locator('main button:visible').count()).toBe(0)
    },
    timeout,
  )

  test(
    'behavior: a rejected signature charges nothing and the person can pay again',
    async () => {
      const payer = chain.accounts.payers[2]
      const { context, wallet } = await browserWith(payer)
      const before = await balances(payer)
      const { page, payments } = await openPaywall(context, `${demo.url}/weather?city=Paris`)
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay')
      wallet?.rejectNext('eth_signTypedData_v4')
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      await waitForStatus(page, 'You declined the signature. Nothing was charged.')
      expect(await focused(page)).toBe('x402-pay')
      expect(payments).toEqual([])
      expect(await balances(payer)).toEqual(before)

      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      expect(JSON.parse((await paidContent(page)).text).city).toBe('Paris')
      expect((await balances(payer)).seller - before.seller).toBe(1000n)
      expect(payments).toHaveLength(1)
    },
    timeout,
  )

  test(
    'behavior: a wallet on another network is asked to switch, then pays',
    async () => {
      const payer = chain.accounts.payers[3]
      const { context, wallet } = await browserWith(payer, { chainId: 1, knownChains: [1, 8453] })
      const before = await balances(payer)
      const { page } = await openPaywall(context, `${demo.url}/weather?city=Tokyo`)
      await connectWallet(page)
      expect(await waitForStatus(page, 'Your wallet is on chain 1')).toContain('this payment is on Base (chain 8453)')
      expect(await page.locator('#x402-pay').isVisible()).toBe(false)
      expect(await focused(page)).toBe('x402-switch')
      await page.getByRole('button', { name: 'Switch to Base' }).click()
      await waitForStatus(page, 'Ready to pay 0.001 USDC')
      expect(wallet?.chainId).toBe(8453)
      expect(wallet?.calls.find((call) => call.method === 'wallet_switchEthereumChain')?.params).toEqual([
        { chainId: '0x2105' },
      ])
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      expect(JSON.parse((await paidContent(page)).text).city).toBe('Tokyo')
      expect((await balances(payer)).seller - before.seller).toBe(1000n)
    },
    timeout,
  )

  test(
    'behavior: a wallet that does not know the network (4902) is asked to add it',
    async () => {
      const payer = chain.accounts.payers[4]
      const { context, wallet } = await browserWith(payer, { chainId: 1, knownChains: [1] })
      const { page } = await openPaywall(context, `${demo.url}/weather`)
      await connectWallet(page)
      await page.getByRole('button', { name: 'Switch to Base' }).click()
      await waitForStatus(page, 'Ready to pay 0.001 USDC')
      expect(wallet?.calls.find((call) => call.method === 'wallet_addEthereumChain')?.params).toEqual([
        {
          chainId: '0x2105',
          chainName: 'Base',
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          rpcUrls: ['https://mainnet.base.org'],
          blockExplorerUrls: ['https://basescan.org'],
        },
      ])
    },
    timeout,
  )

  test(
    'behavior: not enough balance: the page says what is missing and pays once the account is funded',
    async () => {
      const fresh = privateKeyToAccount(generatePrivateKey())
      const { context, wallet } = await browserWith(fresh)
      const { page, payments } = await openPaywall(context, `${demo.url}/weather?city=Lisbon`)
      await connectWallet(page)
      const status = await waitForStatus(page, 'Not enough USDC')
      expect(status).toContain('this costs 0.001 USDC and the account holds 0 USDC on Base')
      expect(await page.locator('#x402-pay').isVisible()).toBe(false)
      expect(wallet?.calls.some((call) => call.method === 'eth_signTypedData_v4')).toBe(false)
      expect(payments).toEqual([])

      await chain.mint({ to: fresh.address, value: 2000n })
      await page.getByRole('button', { name: 'Check the balance again' }).click()
      await waitForStatus(page, 'Ready to pay 0.001 USDC')
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      expect(JSON.parse((await paidContent(page)).text).city).toBe('Lisbon')
      expect(await chain.balanceOf(fresh.address)).toBe(1000n)
    },
    timeout,
  )

  test(
    'behavior: settlement pending (202 + Retry-After): the page waits and sends the same payment again until it is served',
    async () => {
      const payer = chain.accounts.payers[5]
      const { context, wallet } = await browserWith(payer)
      const before = await balances(payer)
      const { page, payments } = await openPaywall(context, `${demo.url}/weather?city=Lagos`)
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay')
      // No mining at all (with automine off, anvil's interval blocks would still come): the settlement stays pending.
      await chain.testClient.setIntervalMining({ interval: 0 })
      await chain.testClient.setAutomine(false)
      const pending = page.waitForResponse((res) => res.status() === 202)
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      expect((await pending).headers()['retry-after']).toBe('2')
      const status = await waitForStatus(page, 'Payment submitted; waiting for the network to confirm it')
      expect(status).toMatch(/Transaction: 0x[0-9a-f]{64}/)

      await chain.testClient.mine({ blocks: 1 })
      await chain.testClient.setAutomine(true)
      expect(JSON.parse((await paidContent(page, 40_000)).text).city).toBe('Lagos')
      await expectMinedReceipt(page)
      expect((await balances(payer)).seller - before.seller).toBe(1000n)
      // One signature; the same header sent again after each 202.
      expect(wallet?.calls.filter((call) => call.method === 'eth_signTypedData_v4')).toHaveLength(1)
      expect(payments.length).toBeGreaterThanOrEqual(2)
      expect(new Set(payments).size).toBe(1)
    },
    timeout,
  )

  test(
    'behavior: a payment already delivered (409) says so: charged once, a new request needs a new payment',
    async () => {
      const payer = chain.accounts.payers[6]
      const { context } = await browserWith(payer)
      const before = await balances(payer)
      const { page } = await openPaywall(context, `${demo.url}/weather?city=Oslo`)
      // Another tab takes the delivery first: the page's own request then finds the payment delivered.
      let elsewhere: number | undefined
      await page.route('**/weather?city=Oslo', async (route) => {
        if (!route.request().headers()['payment-signature']) return route.continue()
        const first = await route.fetch()
        elsewhere = first.status()
        await route.fulfill({ response: await route.fetch() })
      })
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay')
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      const status = await waitForStatus(page, 'This payment was already delivered once')
      expect(status).toContain('A new request needs a new payment.')
      expect(elsewhere).toBe(200)
      expect(await page.getByRole('button', { name: 'Pay again 0.001 USDC' }).isVisible()).toBe(true)
      expect(await page.locator('#x402-result').isVisible()).toBe(false)
      expect((await balances(payer)).seller - before.seller).toBe(1000n)
    },
    timeout,
  )

  test(
    'behavior: facilitator down (502, then 503 + Retry-After): nothing charged; the same payment goes through once it is back',
    async () => {
      const payer = chain.accounts.payers[7]
      let state: 'unreachable' | 'overloaded' | 'up' = 'unreachable'
      const app = createDemoApp({
        payTo: chain.accounts.seller.address,
        network: chain.network,
        facilitator: httpFacilitator({
          url: facilitator.url,
          ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
          fetch: async (request) => {
            if (state === 'unreachable') throw new TypeError('fetch failed: connect ECONNREFUSED')
            if (state === 'overloaded') {
              return Response.json({ error: 'overloaded' }, { status: 503, headers: { 'Retry-After': '3' } })
            }
            return fetch(request)
          },
        }),
      })
      const seller = await listen(app)
      sellers.push(seller)
      const { context, wallet } = await browserWith(payer)
      const before = await balances(payer)
      const { page, payments } = await openPaywall(context, `${seller.url}/weather?city=Lima`)
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay')
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      await waitForStatus(
        page,
        'The payment service is unavailable right now (HTTP 502), so the payment did not go through.',
      )
      expect(await focused(page)).toBe('x402-retry')

      state = 'overloaded'
      await page.getByRole('button', { name: 'Try again' }).click()
      expect(await waitForStatus(page, '(HTTP 503)')).toContain(
        'Try again in 3 s: the same payment is never charged twice.',
      )
      expect(await balances(payer)).toEqual(before)

      state = 'up'
      await page.getByRole('button', { name: 'Try again' }).click()
      expect(JSON.parse((await paidContent(page)).text).city).toBe('Lima')
      expect((await balances(payer)).seller - before.seller).toBe(1000n)
      expect(payments).toHaveLength(3)
      expect(new Set(payments).size).toBe(1)
      expect(wallet?.calls.filter((call) => call.method === 'eth_signTypedData_v4')).toHaveLength(1)
    },
    timeout,
  )

  test(
    'behavior: a route that answers an error after payment charges nothing, and the page says so',
    async () => {
      const payer = chain.accounts.payers[0]
      const { context } = await browserWith(payer)
      const before = await balances(payer)
      const { page, payments } = await openPaywall(context, `${demo.url}/weather?city=Atlantis`)
      await connectWallet(page)
      await waitForStatus(page, 'Ready to pay')
      await page.getByRole('button', { name: 'Pay 0.001 USDC' }).click()
      await waitForStatus(page, 'The seller answered HTTP 404 (unknown_city). Nothing was charged.')
      expect(payments).toHaveLength(1)
      expect(await page.locator('#x402-result').isVisible()).toBe(false)
      expect(await balances(payer)).toEqual(before)
    },
    timeout,
  )
})

describe('what the route returns is shown as it is', () => {
  test(
    'behavior: HTML is rendered in a sandboxed frame; anything else is a download',
    async () => {
      const payer = chain.accounts.payers[1]
      const app = new Hono()
      const offer = { network: chain.network, price: '$0.002' as const, payTo: chain.accounts.seller.address }
      app.use(
        paymentRequired({
          facilitator: httpFacilitator({
            url: facilitator.url,
            ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
          }),
          routes: {
            'GET /article': { accepts: offer, description: 'An article', mimeType: 'text/html' },
            'GET /report.csv': { accepts: offer, description: 'A report', mimeType: 'text/csv' },
          },
          paywall: { title: 'The Daily Toll', colors: { accent: '#7a1f5c' } },
        }),
      )
      app.get('/article', (c) =>
        c.html(
          '<!doctype html><style>h1{color:rgb(0, 128, 0)}</style><h1>Paid words</h1><script>parent.document.title="owned"</script>',
        ),
      )
      app.get('/report.csv', (c) =>
        c.body('city,tempC\nOslo,4\n', 200, {
          'Content-Type': 'text/csv',
          'Content-Disposition': 'attachment; filename="report.csv"',
        }),
      )
      const seller = await listen(app)
      sellers.push(seller)
      const { context } = await browserWith(payer)
      const before = await balances(payer)

      const article = await openPaywall(context, `${seller.url}/article`)
      expect(await article.page.locator('h1').textContent()).toBe('The Daily Toll')
      await connectWallet(article.page)
      await article.page.getByRole('button', { name: 'Pay 0.002 USDC' }).click()
      expect((await paidContent(article.page)).kind).toBe('html')
      const heading = article.page.frameLocator('#x402-content iframe').locator('h1')
      expect(await heading.textContent()).toBe('Paid words')
      expect(await heading.evaluate((h) => getComputedStyle(h).color)).toBe('rgb(0, 128, 0)')
      // The paid HTML's script does not run: the frame is sandboxed and the page's CSP allows one script.
      expect(await article.page.title()).not.toBe('owned')

      const report = await openPaywall(context, `${seller.url}/report.csv`)
      await connectWallet(report.page)
      await report.page.getByRole('button', { name: 'Pay 0.002 USDC' }).click()
      expect((await paidContent(report.page)).kind).toBe('download')
      const [download] = await Promise.all([
        report.page.waitForEvent('download'),
        report.page.getByRole('link', { name: /Download report\.csv/ }).click(),
      ])
      expect(download.suggestedFilename()).toBe('report.csv')
      const stream = await download.createReadStream()
      let text = ''
      for await (const chunk of stream) text += chunk
      expect(text).toBe('city,tempC\nOslo,4\n')
      expect((await balances(payer)).seller - before.seller).toBe(4000n)
    },
    timeout,
  )
})
