/**
 * The paywall page's script: finds the visitor's wallets, connects one, checks its network and
 * balance, has it sign the EIP-3009 authorization of the chosen offer, sends the request again with
 * `PAYMENT-SIGNATURE`, and shows what the route answers. Hand-written, no dependencies: built into
 * `paywallScript.ts` by `npm run paywall:build`.
 */
import type { Authorization, PaymentRequiredV2, PaymentRequirementsV2 } from '@tollgate/protocol'
import { elementIds, type OfferView, offerInputName, rootId } from '../pageContract.ts'
import { chainIdOf, newAuthorization, paymentPayload, randomNonce, transferTypedData } from './authorization.ts'
import { decodeBase64Json, encodeBase64Json } from './base64Json.ts'
import { formatUnits } from './formatUnits.ts'
import { showContent } from './showContent.ts'
import { discoverWallets, injectedWallet, type Wallet, walletErrorCode } from './wallets.ts'

/** How long to wait for EIP-6963 announcements before falling back to `window.ethereum`. */
const discoveryMs = 500
/** How many times a pending settlement (202) or a payment in use (409) is asked again. */
const maxChecks = 150

const root = document.getElementById(rootId) as HTMLElement
const required = decodeBase64Json(root.dataset.paymentRequired) as PaymentRequiredV2
const views = JSON.parse(root.dataset.offers ?? '[]') as OfferView[]
const element = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
const status = element(elementIds.status)
const walletList = element(elementIds.wallets)
const accountLine = element(elementIds.account)
const switchButton = element<HTMLButtonElement>(elementIds.switchNetwork)
const payButton = element<HTMLButtonElement>(elementIds.pay)
const retryButton = element<HTMLButtonElement>(elementIds.retry)
const result = element(elementIds.result)

const wallets = new Map<string, Wallet>()
const subscribed = new WeakSet<object>()
let wallet: Wallet | undefined
let account: string | undefined
/** True while a payment is being signed or sent: wallet events then do not redraw the page. */
let busy = false
let onRetry: () => unknown = () => {}

function say(text: string | Node, kind: 'info' | 'error' = 'info'): void {
  status.replaceChildren(text)
  status.dataset.kind = kind
}

function hideActions(): void {
  for (const button of [switchButton, payButton, retryButton]) button.hidden = true
}

/** Shows one action button with its label, and moves the focus to it. */
function present(button: HTMLButtonElement, label: string, action?: () => unknown): void {
  hideActions()
  button.textContent = label
  button.hidden = false
  button.disabled = false
  if (action) onRetry = action
  button.focus()
}

function chosen(): { offer: PaymentRequirementsV2; view: OfferView } {
  const input = document.querySelector<HTMLInputElement>(`input[name="${offerInputName}"]:checked`)
  const index = input ? Number(input.value) : 0
  return { offer: required.accepts[index] as PaymentRequirementsV2, view: views[index] as OfferView }
}

const priceOf = ({ offer, view }: ReturnType<typeof chosen>) =>
  `${formatUnits(BigInt(offer.amount), view.decimals)} ${view.symbol}`

const ask = (method: string, params?: readonly unknown[]) =>
  (wallet as Wallet).provider.request(params ? { method, params } : { method })

/** Says what a wallet's refusal means, and offers to try `again`. */
function walletFailed(error: unknown, again: () => unknown): void {
  busy = false
  const code = walletErrorCode(error)
  const text =
    code === 4001
      ? 'You declined the request in your wallet. Nothing was charged.'
      : code === -32002
        ? 'Your wallet already has a request waiting: open the wallet to answer it.'
        : code === 4100
          ? 'The wallet has not authorized this page: connect it again.'
          : code === 4900 || code === 4901
            ? 'The wallet is disconnected: reconnect it.'
            : `The wallet answered: ${(error as { message?: string } | undefined)?.message ?? String(error)}`
  say(text, 'error')
  present(retryButton, 'Try again', again)
}

function renderWallets(): void {
  walletList.replaceChildren(
    ...[...wallets.values()].map((candidate) => {
      const item = document.createElement('li')
      const button = document.createElement('button')
      button.type = 'button'
      if (candidate.info.icon?.startsWith('data:image/')) {
        const icon = document.createElement('img')
        icon.src = candidate.info.icon
        icon.alt = ''
        icon.width = icon.height = 24
        button.append(icon)
      }
      button.append(`Connect ${candidate.info.name}`)
      button.addEventListener('click', () => void connect(candidate))
      item.append(button)
      return item
    }),
  )
}

function found(candidate: Wallet): void {
  if (wallets.has(candidate.info.uuid)) return
  wallets.set(candidate.info.uuid, candidate)
  renderWallets()
  if (!wallet) say('Choose the wallet to pay with.')
}

async function connect(candidate: Wallet): Promise<void> {
  wallet = candidate
  hideActions()
  say(`Asking ${candidate.info.name} to connect…`)
  try {
    const accounts = (await ask('eth_requestAccounts')) as string[]
    account = accounts[0]
  } catch (error) {
    return walletFailed(error, () => connect(candidate))
  }
  if (!account) return walletFailed(new Error('no account'), () => connect(candidate))
  const provider = candidate.provider
  if (!subscribed.has(provider)) {
    subscribed.add(provider)
    provider.on?.('accountsChanged', ((accounts: string[]) => {
      if (wallet?.provider !== provider) return
      account = accounts[0]
      void refresh()
    }) as never)
    provider.on?.('chainChanged', (() => {
      if (wallet?.provider === provider) void refresh()
    }) as never)
  }
  await refresh()
}

/** Reads the wallet's network and balance, and offers the next step: switch, fund, or pay. */
async function refresh(): Promise<void> {
  if (busy || !wallet) return
  hideActions()
  if (!account) {
    accountLine.hidden = true
    say('The wallet has no account connected: choose a wallet.', 'error')
    return
  }
  const pick = chosen()
  const { offer: quote, view } = pick
  const wanted = chainIdOf(quote.network)
  let chainId: number
  try {
    chainId = Number(BigInt((await ask('eth_chainId')) as string))
  } catch (error) {
    return walletFailed(error, refresh)
  }
  accountLine.hidden = false
  accountLine.textContent = `Connected: ${account} (${wallet.info.name})`
  if (chainId !== wanted) {
    say(`Your wallet is on chain ${chainId}; this payment is on ${view.networkName} (chain ${wanted}).`, 'error')
    return present(switchButton, `Switch to ${view.networkName}`)
  }
  let balance: bigint | undefined
  try {
    const data = `0x70a08231${account.slice(2).toLowerCase().padStart(64, '0')}`
    balance = BigInt((await ask('eth_call', [{ to: quote.asset, data }, 'latest'])) as string)
  } catch {
    // The balance is advice only: the facilitator checks it anyway.
  }
  if (balance !== undefined) {
    accountLine.textContent += ` · balance ${formatUnits(balance, view.decimals)} ${view.symbol}`
    if (balance < BigInt(quote.amount)) {
      say(
        `Not enough ${view.symbol}: this costs ${priceOf(pick)} and the account holds ${formatUnits(balance, view.decimals)} ${view.symbol} on ${view.networkName}. Add funds, then check again.`,
        'error',
      )
      return present(retryButton, 'Check the balance again', refresh)
    }
  }
  say(`Ready to pay ${priceOf(pick)}. Your wallet will ask you to sign; you pay no gas.`)
  present(payButton, `Pay ${priceOf(pick)}`)
}

async function switchNetwork(): Promise<void> {
  const { offer: quote, view } = chosen()
  const chainId = `0x${(chainIdOf(quote.network) ?? 0).toString(16)}`
  hideActions()
  say(`Asking your wallet to switch to ${view.networkName}…`)
  try {
    await ask('wallet_switchEthereumChain', [{ chainId }])
  } catch (error) {
    const code = walletErrorCode(error)
    // 4902: the wallet does not know the chain (some answer -32603 instead): add it, if we know where.
    if ((code !== 4902 && code !== -32603) || !view.rpcUrl) {
      if (code === 4902) {
        say(`Add ${view.networkName} (chain id ${Number(chainId)}) to your wallet, then try again.`, 'error')
        return present(retryButton, 'Try again', refresh)
      }
      return walletFailed(error, switchNetwork)
    }
    try {
      await ask('wallet_addEthereumChain', [
        {
          chainId,
          chainName: view.networkName,
          nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
          rpcUrls: [view.rpcUrl],
          ...(view.explorerUrl ? { blockExplorerUrls: [view.explorerUrl] } : {}),
        },
      ])
    } catch (added) {
      return walletFailed(added, switchNetwork)
    }
  }
  await refresh()
}

async function pay(): Promise<void> {
  if (!wallet || !account) return
  busy = true
  hideActions()
  const pick = chosen()
  const authorization = newAuthorization(pick.offer, {
    from: account,
    now: Math.floor(Date.now() / 1000),
    nonce: randomNonce(),
  })
  say('Sign the payment in your wallet…')
  let signature: string
  try {
    signature = (await ask('eth_signTypedData_v4', [
      account,
      JSON.stringify(transferTypedData(pick.offer, authorization)),
    ])) as string
  } catch (error) {
    busy = false
    if (walletErrorCode(error) === 4001) {
      say('You declined the signature. Nothing was charged.', 'error')
      return present(payButton, `Pay ${priceOf(pick)}`)
    }
    return walletFailed(error, pay)
  }
  await send(encodeBase64Json(paymentPayload(required, pick.offer, signature, authorization)), authorization, 0)
}

const sleep = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000))

function retryAfter(response: Response): number {
  const seconds = Number(response.headers.get('retry-after'))
  return Number.isFinite(seconds) && seconds >= 1 ? Math.min(seconds, 30) : 2
}

type Settlement = { success?: boolean; transaction?: string; network?: string }

/** The transaction as a link to the offer's explorer (or as text), with `before` in front. */
function transactionNode(before: string, transaction: string | undefined): DocumentFragment {
  const fragment = document.createDocumentFragment()
  fragment.append(before)
  if (!transaction) return fragment
  const { view } = chosen()
  const node = document.createElement(view.explorerUrl ? 'a' : 'code')
  node.textContent = transaction
  if (node instanceof HTMLAnchorElement) node.href = `${view.explorerUrl}/tx/${transaction}`
  fragment.append(' Transaction: ', node, '.')
  return fragment
}

const refusals: Readonly<Record<string, string>> = {
  insufficient_funds: 'the account does not hold enough to pay',
  invalid_exact_evm_payload_signature: 'the wallet signature was not accepted',
  invalid_exact_evm_payload_authorization_valid_before: 'the signed payment expired',
  invalid_exact_evm_payload_authorization_valid_after: 'the signed payment is not valid yet (check your clock)',
  invalid_exact_evm_nonce_already_used: 'this signed payment was already used',
}

/** Sends the request again with the payment, and handles every answer the route can give. */
async function send(header: string, authorization: Authorization, checks: number): Promise<void> {
  busy = true
  hideActions()
  const again = () => {
    // An authorization close to its end is signed anew; otherwise the same payment is sent again.
    if (Number(authorization.validBefore) - Date.now() / 1000 < 30) return pay()
    return send(header, authorization, 0)
  }
  if (checks === 0) say('Paying…')
  let response: Response
  try {
    response = await fetch(location.href, {
      headers: { 'PAYMENT-SIGNATURE': header },
      cache: 'no-store',
      credentials: 'same-origin',
    })
  } catch {
    busy = false
    say('Could not reach the seller. Try again: the same payment is never charged twice.', 'error')
    return present(retryButton, 'Try again', again)
  }
  const settlement = decodeBase64Json(response.headers.get('payment-response')) as Settlement | undefined
  const { status: code } = response
  if (code < 300 && code !== 202) return delivered(response, settlement)
  const body = (await response.json().catch(() => ({}))) as {
    error?: string
    message?: string
    transaction?: string
  }
  const transaction = settlement?.transaction || body.transaction || undefined
  if ((code === 202 || (code === 409 && body.error === 'authorization_in_use')) && checks < maxChecks) {
    const wait = retryAfter(response)
    const what = code === 202 ? 'Payment submitted; waiting for the network to confirm it' : 'Payment being processed'
    say(transactionNode(`${what} (checking again in ${wait} s).`, transaction))
    await sleep(wait)
    return send(header, authorization, checks + 1)
  }
  busy = false
  if (code === 202 || code === 409) {
    if (body.error === 'payment_already_delivered') {
      say(
        transactionNode(
          'This payment was already delivered once (in another tab or window?) and was charged once. A new request needs a new payment.',
          transaction,
        ),
        'error',
      )
      return present(payButton, `Pay again ${priceOf(chosen())}`)
    }
    say(transactionNode('The payment is still not confirmed. Do not pay again.', transaction), 'error')
    return present(retryButton, 'Check again', () => send(header, authorization, 0))
  }
  if (code === 402) {
    const reason =
      (decodeBase64Json(response.headers.get('payment-required')) as { error?: string } | undefined)?.error ??
      body.error ??
      'refused'
    say(`The payment was refused: ${refusals[reason] ?? reason}. Nothing was charged.`, 'error')
    return present(retryButton, 'Pay again', refresh)
  }
  if (code === 502 || code === 503 || code === 504) {
    say(
      `The payment service is unavailable right now (HTTP ${code}), so the payment did not go through. Try again in ${retryAfter(response)} s: the same payment is never charged twice.`,
      'error',
    )
    return present(retryButton, 'Try again', again)
  }
  if (settlement?.success) {
    say(
      transactionNode(
        `You paid, but the seller answered HTTP ${code}. Try again with the same payment: it is not charged twice.`,
        transaction,
      ),
      'error',
    )
    return present(retryButton, 'Try again', again)
  }
  say(
    `The seller answered HTTP ${code}${body.error ? ` (${body.error})` : ''}${body.message ? `: ${body.message}` : ''}. Nothing was charged.`,
    'error',
  )
  return present(retryButton, 'Back', refresh)
}

async function delivered(response: Response, settlement: Settlement | undefined): Promise<void> {
  hideActions()
  walletList.hidden = true
  const shown = await showContent(response, element(elementIds.content), location.href)
  element(elementIds.receipt).replaceChildren(transactionNode(`Paid ${priceOf(chosen())}.`, settlement?.transaction))
  result.hidden = false
  result.dataset.shown = shown
  say('Paid. Your purchase is below.')
  element(elementIds.resultTitle).focus()
}

switchButton.addEventListener('click', () => void switchNetwork())
payButton.addEventListener('click', () => void pay())
retryButton.addEventListener('click', () => void onRetry())
for (const input of document.querySelectorAll(`input[name="${offerInputName}"]`)) {
  input.addEventListener('change', () => void refresh())
}
say('Looking for wallets…')
discoverWallets(found)
setTimeout(() => {
  if (wallets.size > 0) return
  const injected = injectedWallet()
  if (injected) return found(injected)
  say(
    'No wallet found. Install a browser wallet (such as MetaMask, Coinbase Wallet or Rabby) holding the asset, then reload this page.',
    'error',
  )
}, discoveryMs)
