import { describe, expect, test } from 'vitest'
import { demoApp } from '../../test/demoApp.ts'
import { paywallContentSecurityPolicy } from './contentSecurityPolicy.ts'
import { paywallScript, paywallScriptHash } from './paywallScript.ts'
import { renderPaywall } from './renderPaywall.ts'

const html = { headers: { accept: 'text/html' } }
/** The page's byte budget, gzipped: the page and its script together. */
const budget = 30 * 1024

/** Bytes of `text` gzipped with the Web's CompressionStream (what a server's default gzip sends). */
async function gzippedSize(text: string): Promise<number> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
  return (await new Response(stream).arrayBuffer()).byteLength
}

/** The CSP source of `text`: base64 of its SHA-256, with Web Crypto. */
async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return btoa(String.fromCharCode(...digest))
}

function inlineScripts(page: string): string[] {
  return [...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1] as string)
}

describe('the built-in paywall page', () => {
  test('default: one page with its script, at most 30 KB gzipped', async () => {
    const res = await demoApp().request('/weather', html)
    const page = await res.text()
    const size = await gzippedSize(page)
    console.log(
      `paywall page: ${new TextEncoder().encode(page).length} bytes, ${size} bytes gzipped, script ${paywallScript.length} characters; budget ${budget}`,
    )
    expect(size).toBeLessThanOrEqual(budget)
    // No framework, no external script: one inline script, the built one.
    expect(inlineScripts(page)).toEqual([paywallScript])
    expect(page).not.toMatch(/<script[^>]+src=/)
    expect(page).not.toMatch(/\son[a-z]+=/i)
  })

  test('behavior: served with a strict Content Security Policy that allows its one script by hash', async () => {
    const res = await demoApp().request('/weather', html)
    const csp = res.headers.get('content-security-policy')
    expect(csp).toBe(paywallContentSecurityPolicy)
    const hash = `sha256-${await sha256Base64(paywallScript)}`
    expect(paywallScriptHash).toBe(hash)
    expect(csp).toContain(`script-src '${hash}'`)
    expect(csp).not.toContain("unsafe-inline'; script") // scripts: by hash only
    expect(csp?.split('; ').find((d) => d.startsWith('script-src'))).toBe(`script-src '${hash}'`)
    expect(csp).toContain("connect-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  test('behavior: the page carries the quote and what the script needs of each offer', async () => {
    const res = await demoApp().request('/weather', html)
    const page = await res.text()
    expect(page).toContain(`data-payment-required="${res.headers.get('payment-required')}"`)
    const views = /data-offers="([^"]*)"/.exec(page)?.[1]?.replaceAll('&quot;', '"')
    expect(JSON.parse(views ?? '')).toEqual([
      {
        decimals: 6,
        symbol: 'USDC',
        networkName: 'Base',
        rpcUrl: 'https://mainnet.base.org',
        explorerUrl: 'https://basescan.org',
      },
    ])
    for (const text of [
      'Resource',
      'Price',
      'Asset',
      'Network',
      'Pay to',
      '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
    ]) {
      expect(page).toContain(text)
    }
    // Screen readers: the status is a live region, the result gets the focus, buttons have names.
    expect(page).toContain('id="x402-status" role="status" aria-live="polite"')
    expect(page).toContain('<h2 id="x402-result-title" tabindex="-1">')
    expect(page).toContain('<html lang="en">')
  })

  test('behavior: several offers are a labelled choice', async () => {
    const page = await (await demoApp().request('/forecast/oslo', html)).text()
    expect(page).toContain('<fieldset><legend>Choose how to pay</legend>')
    expect(page.match(/<input type="radio" name="x402-offer"/g)).toHaveLength(2)
    expect(page).toContain('value="0" checked')
    expect(page).toContain('Base Sepolia <small>(eip155:84532)</small>')
  })

  test('behavior: the seller sets the title, logo, colours and networks', async () => {
    const page = await (
      await demoApp({
        paywall: {
          title: 'Premium "weather"',
          logo: 'https://cdn.example.com/logo.svg',
          colors: { accent: '#ff6600', background: 'rgb(10 10 10)', text: 'white' },
          networks: { 'eip155:8453': { name: 'Base (local)', explorerUrl: 'http://127.0.0.1:4000/' } },
        },
      }).request('/weather', html)
    ).text()
    expect(page).toContain('<title>Premium &quot;weather&quot;: 0.001 USDC</title>')
    expect(page).toContain('<h1>Premium &quot;weather&quot;</h1>')
    expect(page).toContain('<img class="logo" src="https://cdn.example.com/logo.svg" alt="">')
    expect(page).toContain('--accent:#ff6600;')
    expect(page).toContain('--bg:rgb(10 10 10);--fg:white;')
    expect(page).toContain('&quot;networkName&quot;:&quot;Base (local)&quot;')
    expect(page).toContain('&quot;explorerUrl&quot;:&quot;http://127.0.0.1:4000&quot;')
    expect(page).toContain('&quot;rpcUrl&quot;:&quot;https://mainnet.base.org&quot;')
  })

  test('behavior: bad paywall options throw at construction, naming the field', () => {
    expect(() => demoApp({ paywall: { colors: { accent: 'red;}body{display:none' } } })).toThrow(
      'paymentRequired: paywall.colors.accent: must be a CSS colour',
    )
    expect(() => demoApp({ paywall: { colors: { link: '#000' } as never } })).toThrow(
      'paymentRequired: paywall.colors.link: is not a colour the page has',
    )
    expect(() => demoApp({ paywall: { logo: 'javascript:alert(1)' } })).toThrow('paymentRequired: paywall.logo')
    expect(() => demoApp({ paywall: { title: '' } })).toThrow('paymentRequired: paywall.title')
    expect(() => demoApp({ paywall: { networks: { 'eip155:8453': { rpcUrl: 'ftp://x' } } } })).toThrow(
      'paymentRequired: paywall.networks["eip155:8453"].rpcUrl: must be an http(s) URL',
    )
    expect(() => demoApp({ paywall: 'yes' as never })).toThrow('paywall must be a boolean, an options object')
  })

  test('behavior: a custom renderer is served as it renders, with the headers it returns', async () => {
    const res = await demoApp({ paywall: () => '<p>mine</p>' }).request('/weather', html)
    expect(await res.text()).toBe('<p>mine</p>')
    expect(res.headers.get('content-security-policy')).toBeNull()
    expect(res.headers.get('payment-required')).toBeTruthy()
    const page = await demoApp({
      paywall: (info) => ({
        html: renderPaywall(info, { title: 'Premium' }),
        headers: { 'Content-Security-Policy': paywallContentSecurityPolicy, 'Content-Type': 'text/plain' },
      }),
    }).request('/weather', html)
    expect(await page.text()).toContain('<h1>Premium</h1>')
    expect(page.headers.get('content-security-policy')).toBe(paywallContentSecurityPolicy)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8') // the middleware's own headers win
  })
})
