import { paywallScriptHash } from './paywallScript.ts'

/**
 * The Content Security Policy the built-in paywall page is served with: its one inline script runs
 * by hash and no other script can; it may fetch only its own origin (the paid retry). Styles, images
 * and fonts stay open so paid HTML, shown in a sandboxed frame that inherits this policy, keeps its
 * look. The page cannot be framed, and has no forms or base URL to hijack.
 *
 * @example
 * import { paymentRequired, paywallContentSecurityPolicy, renderPaywall } from '@tollgate/hono'
 *
 * // Your own page around the built-in one, served with its policy:
 * paymentRequired({
 *   facilitator,
 *   routes,
 *   paywall: (info) => ({
 *     html: renderPaywall(info, { title: 'Premium' }),
 *     headers: { 'Content-Security-Policy': paywallContentSecurityPolicy },
 *   }),
 * })
 */
export const paywallContentSecurityPolicy: string = [
  "default-src 'none'",
  `script-src '${paywallScriptHash}'`,
  "style-src * 'unsafe-inline'",
  'img-src * data: blob:',
  'media-src * data: blob:',
  'font-src * data:',
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')
