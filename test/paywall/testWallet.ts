/**
 * An EIP-1193 wallet injected into a browser context, as a wallet extension would be: it announces itself by
 * EIP-6963 (or sits at `window.ethereum` only), and every request is bridged to Node, where an anvil dev key signs
 * typed data with viem and chain reads go to the test's anvil. The test decides what the wallet does: which chain it
 * is on, which chains it knows, and which request the person rejects (code 4001).
 *
 * @see reference/browser-wallets.md §6 (exposeFunction drops error properties: errors travel as values)
 */
import type { BrowserContext } from 'playwright-core'
import { type LocalAccount, toHex } from 'viem'

/** A request the page made of the wallet. */
export type WalletCall = { method: string; params: readonly unknown[] }

export type TestWalletOptions = {
  account: LocalAccount
  /** The anvil that chain reads (`eth_call`, `eth_blockNumber`, …) go to. */
  rpcUrl: string
  /** The chain the wallet is on at start. Default 8453. */
  chainId?: number
  /** Chains the wallet can switch to without adding them. Default: `chainId` and 8453. */
  knownChains?: readonly number[]
  /** `false`: no EIP-6963 announcement, only `window.ethereum` (wallets before EIP-6963). Default `true`. */
  announce?: boolean
}

export type TestWallet = {
  readonly calls: WalletCall[]
  /** The next request of `method` is rejected by the person (EIP-1193 code 4001). */
  rejectNext(method: string): void
  readonly chainId: number
}

type Answer = { result?: unknown; error?: { code: number; message: string }; events?: [string, unknown][] }

export const testWalletName = 'Test Wallet'

/** Installs the wallet in `context`; call before the first `page.goto`. */
export async function installTestWallet(context: BrowserContext, options: TestWalletOptions): Promise<TestWallet> {
  const { account, rpcUrl, announce = true } = options
  let chainId = options.chainId ?? 8453
  const known = new Set(options.knownChains ?? [chainId, 8453])
  const rejections = new Set<string>()
  const calls: WalletCall[] = []

  async function handle(method: string, params: readonly unknown[]): Promise<Answer> {
    calls.push({ method, params })
    if (rejections.delete(method)) return { error: { code: 4001, message: 'User rejected the request.' } }
    switch (method) {
      case 'eth_requestAccounts':
      case 'eth_accounts':
        return { result: [account.address] }
      case 'eth_chainId':
        return { result: toHex(chainId) }
      case 'wallet_switchEthereumChain': {
        const wanted = Number((params[0] as { chainId: string }).chainId)
        if (!known.has(wanted)) return { error: { code: 4902, message: `Unrecognized chain ID ${toHex(wanted)}.` } }
        chainId = wanted
        return { result: null, events: [['chainChanged', toHex(wanted)]] }
      }
      case 'wallet_addEthereumChain': {
        // As MetaMask does: adding a chain also offers to switch to it, and the person accepts.
        const added = Number((params[0] as { chainId: string }).chainId)
        known.add(added)
        chainId = added
        return { result: null, events: [['chainChanged', toHex(added)]] }
      }
      case 'eth_signTypedData_v4': {
        const [from, json] = params as [string, string]
        if (from.toLowerCase() !== account.address.toLowerCase()) {
          return { error: { code: 4100, message: 'The requested account has not been authorized.' } }
        }
        const { types, domain, primaryType, message } = JSON.parse(json)
        const { EIP712Domain: _, ...messageTypes } = types
        return { result: await account.signTypedData({ domain, types: messageTypes, primaryType, message }) }
      }
      default: {
        const response = await fetch(rpcUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        })
        const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } }
        return body.error ? { error: body.error } : { result: body.result }
      }
    }
  }

  await context.exposeFunction('__tollgateTestWallet', (method: string, params: readonly unknown[]) =>
    handle(method, params ?? []).catch((error: unknown) => ({
      error: { code: -32603, message: error instanceof Error ? error.message : String(error) },
    })),
  )
  await context.addInitScript(
    ({ announce, name }) => {
      type Bridge = (method: string, params: readonly unknown[]) => Promise<Answer>
      const bridge = (window as unknown as { __tollgateTestWallet: Bridge }).__tollgateTestWallet
      const listeners = new Map<string, Set<(value: unknown) => void>>()
      const provider = {
        async request({ method, params }: { method: string; params?: readonly unknown[] }) {
          const answer = await bridge(method, params ?? [])
          // Events follow the answer, as a wallet's do.
          setTimeout(() => {
            for (const [event, value] of answer.events ?? []) for (const fn of listeners.get(event) ?? []) fn(value)
          })
          if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code })
          return answer.result
        },
        on(event: string, fn: (value: unknown) => void) {
          listeners.set(event, (listeners.get(event) ?? new Set()).add(fn))
        },
        removeListener(event: string, fn: (value: unknown) => void) {
          listeners.get(event)?.delete(fn)
        },
      }
      if (!announce) {
        ;(window as unknown as { ethereum: typeof provider }).ethereum = provider
        return
      }
      const info = Object.freeze({
        uuid: '6f1c1d0e-9a43-4c57-8a1b-3d1e2f4a5b6c',
        name,
        icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"%3E%3Crect width="96" height="96" fill="%230052ff"/%3E%3C/svg%3E',
        rdns: 'dev.tollgate.testwallet',
      })
      const detail = Object.freeze({ info, provider })
      const announceProvider = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail }))
      window.addEventListener('eip6963:requestProvider', announceProvider)
      announceProvider()
    },
    { announce, name: testWalletName },
  )
  return {
    calls,
    rejectNext: (method) => void rejections.add(method),
    get chainId() {
      return chainId
    },
  }
}
