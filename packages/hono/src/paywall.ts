import { formatMoney, type PaymentRequirementsV2, type ResourceInfo } from '@tollgate/protocol'

/** What a paywall page shows: the resource and its offers with display amounts. */
export type PaywallInfo = {
  resource: ResourceInfo
  offers: readonly PaywallOffer[]
  /** The `PAYMENT-REQUIRED` header value of this quote (base64 JSON). */
  paymentRequired: string
}

/** One offer as a paywall page shows it. */
export type PaywallOffer = {
  requirements: PaymentRequirementsV2
  /** The price in the asset's unit, e.g. `'0.001'`. */
  display: string
  /** The asset's symbol, e.g. `'USDC'`. */
  symbol: string
  /** A human name of the network, e.g. `'Base'`. */
  networkName: string
}

const networkNames: Readonly<Record<string, string>> = {
  'eip155:8453': 'Base',
  'eip155:84532': 'Base Sepolia',
  'eip155:1': 'Ethereum',
  'eip155:137': 'Polygon',
  'eip155:43114': 'Avalanche',
}

/** A human name for a CAIP-2 network, falling back to the id itself. */
export function networkName(network: string): string {
  return Object.hasOwn(networkNames, network) ? (networkNames[network] as string) : network
}

/** The display figures of an offer. */
export function paywallOffer(
  requirements: PaymentRequirementsV2,
  asset: { decimals: number; symbol: string },
): PaywallOffer {
  return {
    requirements,
    display: formatMoney(BigInt(requirements.amount), { decimals: asset.decimals }),
    symbol: asset.symbol,
    networkName: networkName(requirements.network),
  }
}

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => escapes[char] as string)
}

/**
 * The default paywall: a small self-contained HTML page (no scripts, no external assets) that says
 * what the resource costs and how to pay for it with an x402 client.
 */
export function renderPaywall({ resource, offers }: PaywallInfo): string {
  const first = offers[0]
  const price = first ? `${first.display} ${first.symbol}` : 'a payment'
  const rows = offers
    .map(
      (offer) =>
        `<tr><td>${escapeHtml(offer.display)} ${escapeHtml(offer.symbol)}</td>` +
        `<td>${escapeHtml(offer.networkName)} <small>(${escapeHtml(offer.requirements.network)})</small></td>` +
        `<td><code>${escapeHtml(offer.requirements.payTo)}</code></td></tr>`,
    )
    .join('')
  const url = escapeHtml(resource.url)
  const description = resource.description ? `<p>${escapeHtml(resource.description)}</p>` : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Payment required: ${escapeHtml(price)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
code,pre{font:13px ui-monospace,monospace;background:#f5f5f5}pre{padding:.8rem;overflow:auto}small{color:#666}</style>
</head><body>
<h1>402 Payment required</h1>
<p>This resource costs <strong>${escapeHtml(price)}</strong> per request, paid with
<a href="https://x402.org">x402</a>.</p>
${description}<p><code>${url}</code></p>
<table><thead><tr><th>Price</th><th>Network</th><th>Pay to</th></tr></thead><tbody>${rows}</tbody></table>
<h2>How to pay</h2>
<p>Use an x402 client with a wallet holding the asset. It reads the <code>PAYMENT-REQUIRED</code> header of this
response, signs an EIP-3009 authorization (no gas needed), and retries with a <code>PAYMENT-SIGNATURE</code> header.</p>
<pre>import { wrapFetchWithPayment, x402Client } from &#39;@x402/fetch&#39;
import { registerExactEvmScheme } from &#39;@x402/evm/exact/client&#39;
import { privateKeyToAccount } from &#39;viem/accounts&#39;

const client = new x402Client()
registerExactEvmScheme(client, { signer: privateKeyToAccount(YOUR_PRIVATE_KEY) })
const pay = wrapFetchWithPayment(fetch, client)
const response = await pay(&#39;${url}&#39;)</pre>
<p><small>Machine clients: the quote is in the <code>PAYMENT-REQUIRED</code> header (x402 v2) and, without
<code>Accept: text/html</code>, in the JSON body (x402 v1).</small></p>
</body></html>
`
}
