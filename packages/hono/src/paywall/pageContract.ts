/**
 * What the paywall page and its browser script agree on: the element ids the page renders and the
 * script drives, and what the page tells the script about each offer beyond the quote itself.
 */

/** The page's root element: it carries the quote (`data-payment-required`) and the offers' views (`data-offers`). */
export const rootId = 'x402-paywall'

/** Ids of the elements the script drives, each prefixed with `x402-` in the page. */
export const elementIds = {
  status: 'x402-status',
  wallets: 'x402-wallets',
  account: 'x402-account',
  switchNetwork: 'x402-switch',
  pay: 'x402-pay',
  retry: 'x402-retry',
  result: 'x402-result',
  resultTitle: 'x402-result-title',
  receipt: 'x402-receipt',
  content: 'x402-content',
} as const

/** The name of the offer radio buttons (rendered only when a route has more than one offer). */
export const offerInputName = 'x402-offer'

/** What the script needs to show and pay one offer that the quote does not say: units, names, links. */
export type OfferView = {
  decimals: number
  symbol: string
  networkName: string
  /** Where `wallet_addEthereumChain` points a wallet that does not know the network. */
  rpcUrl?: string
  /** Block explorer origin; the receipt links `${explorerUrl}/tx/${hash}`. */
  explorerUrl?: string
}
