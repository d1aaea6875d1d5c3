import { escapeHtml } from './escapeHtml.ts'
import { type OfferView, offerInputName, rootId } from './pageContract.ts'
import type { PaywallInfo, PaywallOffer } from './paywallInfo.ts'
import { type CompiledPaywallOptions, compilePaywallOptions, type PaywallOptions } from './paywallOptions.ts'
import { paywallScript } from './paywallScript.ts'

const style = (colors: CompiledPaywallOptions['colors']) =>
  `:root{--accent:${colors.accent};--on-accent:${colors.accentText};--bg:${colors.background};--fg:${colors.text};--line:rgba(127,127,127,.35)}
*{box-sizing:border-box}[hidden]{display:none!important}body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:42rem;margin:0 auto;padding:2rem 1rem}header{display:flex;align-items:center;gap:.8rem}
.logo{max-height:3rem;max-width:10rem}h1{font-size:1.6rem;margin:.4rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:1rem 0}dt{opacity:.75}dd{margin:0;overflow-wrap:anywhere}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}small{opacity:.75}
pre{background:rgba(127,127,127,.12);padding:.8rem;overflow:auto;border-radius:6px}a{color:inherit}
fieldset{border:1px solid var(--line);border-radius:8px}label{display:block;padding:.3rem 0}
button{font:inherit;cursor:pointer;border:1px solid var(--accent);border-radius:8px;padding:.6rem 1.1rem;margin:.2rem .4rem .2rem 0;background:var(--accent);color:var(--on-accent);display:inline-flex;align-items:center;gap:.5rem}
#x402-wallets{list-style:none;padding:0;margin:.5rem 0}#x402-wallets button{background:transparent;color:var(--fg);border-color:var(--line)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}[data-kind=error]{color:#b3261e;font-weight:500}
iframe{width:100%;min-height:60vh;border:1px solid var(--line);border-radius:6px;background:#fff}`

function offerRows(offer: PaywallOffer): string {
  const { requirements } = offer
  return (
    `<dt>Price</dt><dd><strong>${escapeHtml(offer.display)} ${escapeHtml(offer.symbol)}</strong></dd>` +
    `<dt>Asset</dt><dd>${escapeHtml(offer.symbol)} <small><code>${escapeHtml(requirements.asset)}</code></small></dd>` +
    `<dt>Network</dt><dd>${escapeHtml(offer.networkName)} <small>(${escapeHtml(requirements.network)})</small></dd>` +
    `<dt>Pay to</dt><dd><code>${escapeHtml(requirements.payTo)}</code></dd>`
  )
}

/** The offers: a list of facts for one, a radio group to choose from for several. */
function offersHtml(offers: readonly PaywallOffer[]): string {
  if (offers.length === 1) return `<dl>${offerRows(offers[0] as PaywallOffer)}</dl>`
  const choices = offers
    .map(
      (offer, i) =>
        `<label><input type="radio" name="${offerInputName}" value="${i}"${i === 0 ? ' checked' : ''}> ` +
        `<strong>${escapeHtml(offer.display)} ${escapeHtml(offer.symbol)}</strong> on ${escapeHtml(offer.networkName)} ` +
        `<small>(${escapeHtml(offer.requirements.network)})</small>, pay to <code>${escapeHtml(offer.requirements.payTo)}</code></label>`,
    )
    .join('')
  return `<fieldset><legend>Choose how to pay</legend>${choices}</fieldset>`
}

/** What the script needs of each offer beyond the quote: units, names, and the network's links. */
function offerViews(offers: readonly PaywallOffer[], networks: CompiledPaywallOptions['networks']): OfferView[] {
  return offers.map((offer) => {
    const known = networks[offer.requirements.network]
    return {
      decimals: offer.decimals,
      symbol: offer.symbol,
      networkName: known?.name ?? offer.networkName,
      ...(known?.rpcUrl ? { rpcUrl: known.rpcUrl } : {}),
      ...(known?.explorerUrl ? { explorerUrl: known.explorerUrl.replace(/\/+$/, '') } : {}),
    }
  })
}

/** The page for compiled options (see {@link renderPaywall}). */
export function paywallHtml(info: PaywallInfo, options: CompiledPaywallOptions): string {
  const { resource, offers } = info
  const first = offers[0]
  const price = first ? `${first.display} ${first.symbol}` : 'a payment'
  const url = escapeHtml(resource.url)
  const title = escapeHtml(options.title)
  const logo = options.logo ? `<img class="logo" src="${escapeHtml(options.logo)}" alt="">` : ''
  const description = resource.description ? `<p>${escapeHtml(resource.description)}</p>` : ''
  const views = escapeHtml(JSON.stringify(offerViews(offers, options.networks)))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${title}: ${escapeHtml(price)}</title>
<style>${style(options.colors)}</style>
</head><body>
<main id="${rootId}" data-payment-required="${escapeHtml(info.paymentRequired)}" data-offers="${views}">
<header>${logo}<h1>${title}</h1></header>
<p>This resource costs <strong>${escapeHtml(price)}</strong> per request, paid with <a href="https://x402.org">x402</a>.</p>
${description}<dl><dt>Resource</dt><dd><code>${url}</code></dd></dl>
${offersHtml(offers)}
<section aria-labelledby="x402-pay-title"><h2 id="x402-pay-title">Pay with your wallet</h2>
<p id="x402-status" role="status" aria-live="polite">Paying here needs JavaScript and a browser wallet (EIP-6963 or window.ethereum).</p>
<ul id="x402-wallets" aria-label="Wallets"></ul><p id="x402-account" hidden></p>
<p><button type="button" id="x402-switch" hidden></button><button type="button" id="x402-pay" hidden></button><button type="button" id="x402-retry" hidden></button></p>
</section>
<section id="x402-result" aria-labelledby="x402-result-title" hidden><h2 id="x402-result-title" tabindex="-1">Your purchase</h2>
<p id="x402-receipt"></p><div id="x402-content"></div></section>
<details><summary>Paying from code</summary>
<p>An x402 client reads the <code>PAYMENT-REQUIRED</code> header of this response, signs an EIP-3009 authorization (no gas
needed) and sends the request again with a <code>PAYMENT-SIGNATURE</code> header. Without <code>Accept: text/html</code>
the quote is also the JSON body (x402 v1).</p>
<pre>import { wrapFetchWithPayment, x402Client } from &#39;@x402/fetch&#39;
import { registerExactEvmScheme } from &#39;@x402/evm/exact/client&#39;
import { privateKeyToAccount } from &#39;viem/accounts&#39;

const client = new x402Client()
registerExactEvmScheme(client, { signer: privateKeyToAccount(YOUR_PRIVATE_KEY) })
const response = await wrapFetchWithPayment(fetch, client)(&#39;${url}&#39;)</pre></details>
</main>
<script type="module">${paywallScript}</script>
</body></html>
`
}

/**
 * The built-in paywall page, as HTML: what is sold (resource, price, asset, network, payee) and a
 * small script that pays with the visitor's own wallet (EIP-6963 or `window.ethereum`; an EIP-3009
 * authorization signed with `eth_signTypedData_v4`), then shows what the route answers. Serve it with
 * `paywallContentSecurityPolicy`: its one inline script is allowed by hash.
 *
 * @example
 * import { renderPaywall } from '@tollgate/hono'
 *
 * const html = renderPaywall(info, { title: 'Premium', colors: { accent: '#7a1f5c' } })
 */
export function renderPaywall(info: PaywallInfo, options?: PaywallOptions): string {
  return paywallHtml(info, compilePaywallOptions(options))
}
