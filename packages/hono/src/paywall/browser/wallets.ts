/** An EIP-1193 provider, as wallets inject it. */
export type Eip1193Provider = {
  request(args: { method: string; params?: readonly unknown[] }): Promise<unknown>
  on?(event: string, listener: (...args: never[]) => void): void
}

/** A wallet found on the page: its EIP-6963 info (or a stand-in for `window.ethereum`) and its provider. */
export type Wallet = {
  info: { uuid: string; name: string; icon?: string }
  provider: Eip1193Provider
}

/**
 * Finds wallets by EIP-6963: listens for `eip6963:announceProvider` first, then asks with
 * `eip6963:requestProvider`, and keeps listening (a wallet may load later). Each announcement is
 * passed to `found`; the caller deduplicates by `info.uuid`.
 */
export function discoverWallets(found: (wallet: Wallet) => void): void {
  window.addEventListener('eip6963:announceProvider', (event) => {
    const detail = (event as CustomEvent<Partial<Wallet> | undefined>).detail
    if (typeof detail?.info?.uuid === 'string' && typeof detail.provider?.request === 'function') {
      found({ info: detail.info, provider: detail.provider })
    }
  })
  window.dispatchEvent(new Event('eip6963:requestProvider'))
}

/** The provider at `window.ethereum` (wallets before EIP-6963), as a wallet, if there is one. */
export function injectedWallet(): Wallet | undefined {
  const provider = (window as { ethereum?: Eip1193Provider }).ethereum
  return typeof provider?.request === 'function'
    ? { info: { uuid: 'window.ethereum', name: 'Browser wallet' }, provider }
    : undefined
}

/** The EIP-1193 error code of a wallet's rejection (MetaMask mobile nests it in `data.originalError`). */
export function walletErrorCode(error: unknown): number | undefined {
  const e = error as { code?: unknown; data?: { originalError?: { code?: unknown } } } | undefined
  const code = e?.data?.originalError?.code ?? e?.code
  return typeof code === 'number' ? code : undefined
}
