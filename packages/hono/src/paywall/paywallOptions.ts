import { fail, isPlainObject } from '../fail.ts'

/** What a seller can set on the built-in paywall page (`paymentRequired({ paywall: { … } })`). */
export type PaywallOptions = {
  /** The page's heading (and its `<title>`, before the price). Default `'Payment required'`. */
  title?: string
  /** A logo beside the heading: an `https:` URL, a path on this site (`/logo.svg`) or a `data:image/` URI. */
  logo?: string
  /** CSS colours (`#0052ff`, `rgb(0 82 255)`, `navy`). Defaults: a white page, dark text, blue buttons. */
  colors?: {
    /** Buttons and focus rings. Default `#0052ff`. */
    accent?: string
    /** Text on buttons. Default `#ffffff`. */
    accentText?: string
    /** The page. Default `#ffffff`. */
    background?: string
    /** Body text. Default `#1a1a1a`. */
    text?: string
  }
  /**
   * Per CAIP-2 network (`'eip155:8453'`): its display name, the RPC URL a wallet that lacks it adds it
   * with, and the block explorer the receipt links to. Base and Base Sepolia are known.
   */
  networks?: Record<string, { name?: string; rpcUrl?: string; explorerUrl?: string }>
}

/** The paywall options, validated, with defaults filled in. */
export type CompiledPaywallOptions = {
  title: string
  logo: string | undefined
  colors: { accent: string; accentText: string; background: string; text: string }
  networks: Readonly<Record<string, { name?: string; rpcUrl?: string; explorerUrl?: string }>>
}

const defaultColors = { accent: '#0052ff', accentText: '#ffffff', background: '#ffffff', text: '#1a1a1a' }

/** Base and Base Sepolia: what `wallet_addEthereumChain` needs, and where receipts link. */
const knownNetworks: Readonly<Record<string, { rpcUrl: string; explorerUrl: string }>> = {
  'eip155:8453': { rpcUrl: 'https://mainnet.base.org', explorerUrl: 'https://basescan.org' },
  'eip155:84532': { rpcUrl: 'https://sepolia.base.org', explorerUrl: 'https://sepolia.basescan.org' },
}

/** A colour the page can put in its style sheet: no `;`, braces, quotes or angle brackets. */
const cssColor = /^(?:#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30}|[a-z-]{3,12}\([0-9a-zA-Z.,%/\s+-]{1,80}\))$/

const isHttpUrl = (value: string) => /^https?:\/\//.test(value) && URL.canParse(value)

/** Validates the paywall options once, at construction; a bad one throws a ConfigError naming the field. */
export function compilePaywallOptions(options: PaywallOptions = {}): CompiledPaywallOptions {
  if (!isPlainObject(options)) fail('paywall', 'must be true, false, an options object or a function', options)
  const { title = 'Payment required', logo, colors = {}, networks = {} } = options
  if (typeof title !== 'string' || title.trim() === '' || title.length > 200) {
    fail('paywall.title', 'must be a non-empty string of at most 200 characters', title)
  }
  if (
    logo !== undefined &&
    (typeof logo !== 'string' ||
      !(isHttpUrl(logo) || /^\/(?!\/)\S*$/.test(logo) || /^data:image\/[\w.+-]+[;,]/.test(logo)))
  ) {
    fail('paywall.logo', 'must be an http(s) URL, a path starting with / or a data:image/ URI', logo)
  }
  if (!isPlainObject(colors)) fail('paywall.colors', 'must be an object { accent?, accentText?, background?, text? }')
  const merged = { ...defaultColors }
  for (const [name, value] of Object.entries(colors)) {
    if (!Object.hasOwn(defaultColors, name)) fail(`paywall.colors.${name}`, 'is not a colour the page has')
    if (typeof value !== 'string' || !cssColor.test(value)) {
      fail(`paywall.colors.${name}`, 'must be a CSS colour such as #0052ff, rgb(0 82 255) or navy', value)
    }
    merged[name as keyof typeof defaultColors] = value
  }
  if (!isPlainObject(networks)) fail('paywall.networks', 'must be an object keyed by CAIP-2 network')
  const compiledNetworks: Record<string, { name?: string; rpcUrl?: string; explorerUrl?: string }> = {
    ...knownNetworks,
  }
  for (const [network, entry] of Object.entries(networks)) {
    const field = `paywall.networks[${JSON.stringify(network)}]`
    if (!isPlainObject(entry)) fail(field, 'must be an object { name?, rpcUrl?, explorerUrl? }', entry)
    for (const key of ['rpcUrl', 'explorerUrl'] as const) {
      const value = entry[key]
      if (value !== undefined && (typeof value !== 'string' || !isHttpUrl(value))) {
        fail(`${field}.${key}`, 'must be an http(s) URL', value)
      }
    }
    if (entry.name !== undefined && (typeof entry.name !== 'string' || entry.name === '')) {
      fail(`${field}.name`, 'must be a non-empty string', entry.name)
    }
    compiledNetworks[network] = {
      ...compiledNetworks[network],
      ...(entry as CompiledPaywallOptions['networks'][string]),
    }
  }
  return { title, logo, colors: merged, networks: compiledNetworks }
}
