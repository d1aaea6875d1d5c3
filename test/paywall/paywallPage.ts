/**
 * Driving the paywall page in a browser as a person does: open the paid URL, pick the wallet, pay; and what a test
 * reads back: the status line, the requests that carried a payment, the console's CSP complaints.
 */
import type { BrowserContext, Page, Response } from 'playwright-core'
import { testWalletName } from './testWallet.ts'

export type OpenPaywall = {
  page: Page
  /** The page's own answer (the unpaid 402). */
  response: Response
  /** The `PAYMENT-SIGNATURE` of every request the page sent, in order. */
  payments: string[]
  /** Console messages about Content Security Policy violations (there must be none). */
  cspViolations: string[]
}

/** Opens `url` in a new page of `context`, as a browser navigation (`Accept: text/html`). */
export async function openPaywall(context: BrowserContext, url: string): Promise<OpenPaywall> {
  const page = await context.newPage()
  const payments: string[] = []
  const cspViolations: string[] = []
  page.on('request', (request) => {
    const header = request.headers()['payment-signature']
    if (header) payments.push(header)
  })
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  const response = await page.goto(url)
  if (!response) throw new Error(`no response for ${url}`)
  return { page, response, payments, cspViolations }
}

/** Waits until the page's status line (the live region) contains `text`; returns the whole line. */
export async function waitForStatus(page: Page, text: string, timeout = 20_000): Promise<string> {
  const status = page.locator('#x402-status', { hasText: text })
  await status.waitFor({ timeout })
  return (await status.textContent()) ?? ''
}

/** Clicks the test wallet's connect button. */
export async function connectWallet(page: Page): Promise<void> {
  await page.getByRole('button', { name: `Connect ${testWalletName}` }).click()
}

/** Waits for the paid content and returns what the page shows of it. */
export async function paidContent(
  page: Page,
  timeout = 20_000,
): Promise<{ kind: string; text: string; receipt: string }> {
  const result = page.locator('#x402-result')
  await result.waitFor({ state: 'visible', timeout })
  return {
    kind: (await result.getAttribute('data-shown')) ?? '',
    text: (await page.locator('#x402-content').textContent()) ?? '',
    receipt: (await page.locator('#x402-receipt').textContent()) ?? '',
  }
}

/** The id of the focused element. */
export function focused(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.activeElement?.id)
}
