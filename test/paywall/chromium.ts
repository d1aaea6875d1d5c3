/**
 * Headless Chromium for the paywall suites: Debian's `chromium` package (`/usr/bin/chromium`, installed by `.ci/run`
 * and the README's setup; no browser download), driven by `playwright-core`.
 *
 * @see reference/browser-wallets.md §6 (the harness and its flags)
 */
import { existsSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'

export const chromiumPath = '/usr/bin/chromium'

/**
 * Launches headless Chromium. The background-networking flags matter: without them this sandbox refuses the
 * browser's connections.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `No Chromium at ${chromiumPath}: install Debian's package (apt-get install -y chromium; README, Develop).`,
    )
  }
  return await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
