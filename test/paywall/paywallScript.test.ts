/**
 * The paywall's browser script ships as a string module (packages/hono/src/paywall/paywallScript.ts), built from the
 * hand-written sources in packages/hono/src/paywall/browser/ by `npm run paywall:build`. This fails when the module is
 * stale, so the page never ships a script its sources no longer say.
 */
import { expect, test } from 'vitest'
import { paywallScript, paywallScriptHash } from '../../packages/hono/src/paywall/paywallScript.ts'
import { bundlePaywallScript, scriptHash } from '../../scripts/buildPaywallScript.ts'

test('default: paywallScript.ts is the build of browser/main.ts (else run npm run paywall:build)', async () => {
  const built = await bundlePaywallScript()
  expect(paywallScript === built, 'paywallScript.ts is stale: run npm run paywall:build').toBe(true)
  expect(paywallScriptHash).toBe(scriptHash(built))
})

test('behavior: the script is plain, self-contained JavaScript the page can inline', () => {
  expect(paywallScript).not.toMatch(/<\/script/i)
  expect(paywallScript).not.toMatch(/\bimport\s*[({'"]|\brequire\(/)
  expect(paywallScript).not.toMatch(/[^\x20-\x7e]/) // ASCII only: the hash never depends on an encoding
})
