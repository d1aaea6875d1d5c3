import { paywallContentSecurityPolicy } from './contentSecurityPolicy.ts'
import type { PaywallInfo } from './paywallInfo.ts'
import { compilePaywallOptions, type PaywallOptions } from './paywallOptions.ts'
import { paywallHtml } from './renderPaywall.ts'

/** A rendered paywall page: its HTML and the headers it must be served with. */
export type PaywallPage = { html: string; headers: Record<string, string> }

/**
 * The built-in paywall for `options` (validated here, once): a function of each quote's
 * {@link PaywallInfo} returning the page and its Content Security Policy.
 */
export function createPaywall(options?: PaywallOptions): (info: PaywallInfo) => PaywallPage {
  const compiled = compilePaywallOptions(options)
  const headers = { 'Content-Security-Policy': paywallContentSecurityPolicy, 'X-Content-Type-Options': 'nosniff' }
  return (info) => ({ html: paywallHtml(info, compiled), headers })
}
