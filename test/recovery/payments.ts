/**
 * Payments for the recovery suites: many signed authorizations as x402 v2 `/settle` bodies, and what
 * the chain says about each (spent, and how many `AuthorizationUsed` logs). Test-only.
 */
import { authorizationId } from '@tollgate/facilitator'
import { assets, type ExactEvmPayload } from '@tollgate/protocol'
import { type Address, type Hex, parseAbiItem } from 'viem'
import type { LocalChain } from '../chain/localChain.ts'

export type Payment = {
  index: number
  id: string
  payer: Address
  nonce: Hex
  payload: ExactEvmPayload
  body: Record<string, unknown>
}

/**
 * $0.01: at the local chain's Base fees the default gas policy settles it alone, one transaction per
 * payment, the path these crash and fault suites are about (a $0.001 payment waits for a batch).
 */
export const paymentValue = 10_000n

/** `count` authorizations of {@link paymentValue} to the seller, round-robin over the eight payers. */
export async function makePayments(chain: LocalChain, count: number): Promise<Payment[]> {
  const { name, version } = assets[chain.network]
  const requirements = {
    scheme: 'exact',
    network: chain.network,
    amount: paymentValue.toString(),
    asset: chain.usdc,
    payTo: chain.accounts.seller.address,
    maxTimeoutSeconds: 600,
    extra: { name, version },
  }
  const validBefore = BigInt(Math.floor(Date.now() / 1000)) + 900n
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const payer = chain.accounts.payers[
        index % chain.accounts.payers.length
      ] as LocalChain['accounts']['payers'][number]
      const payload = await chain.signTransferAuthorization({
        payer,
        to: chain.accounts.seller.address,
        value: paymentValue,
        validAfter: 0n,
        validBefore,
      })
      const nonce = payload.authorization.nonce as Hex
      return {
        index,
        id: authorizationId({ chainId: chain.chainId, asset: chain.usdc, from: payer.address, nonce }),
        payer: payer.address,
        nonce,
        payload,
        body: {
          x402Version: 2,
          paymentPayload: {
            x402Version: 2,
            resource: { url: 'http://127.0.0.1/paid' },
            accepted: requirements,
            payload,
          },
          paymentRequirements: requirements,
        },
      }
    }),
  )
}

const authorizationUsed = parseAbiItem('event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce)')
const authorizationStateAbi = [
  parseAbiItem('function authorizationState(address authorizer, bytes32 nonce) view returns (bool)'),
] as const

/** Per payment id: whether the token says it is spent, and how many `AuthorizationUsed` logs name it. */
export async function chainView(
  chain: LocalChain,
  payments: readonly Payment[],
): Promise<Map<string, { spent: boolean; logs: number; transactions: Hex[] }>> {
  const logs = await chain.publicClient.getLogs({
    address: chain.usdc,
    event: authorizationUsed,
    fromBlock: 0n,
    toBlock: 'latest',
  })
  const byKey = new Map<string, Hex[]>()
  for (const log of logs) {
    const key = `${log.args.authorizer?.toLowerCase()}/${log.args.nonce?.toLowerCase()}`
    byKey.set(key, [...(byKey.get(key) ?? []), log.transactionHash])
  }
  const view = new Map<string, { spent: boolean; logs: number; transactions: Hex[] }>()
  for (let start = 0; start < payments.length; start += 100) {
    const slice = payments.slice(start, start + 100)
    const states = await Promise.all(
      slice.map((payment) =>
        chain.publicClient.readContract({
          address: chain.usdc,
          abi: authorizationStateAbi,
          functionName: 'authorizationState',
          args: [payment.payer, payment.nonce],
        }),
      ),
    )
    slice.forEach((payment, i) => {
      const transactions = byKey.get(`${payment.payer.toLowerCase()}/${payment.nonce.toLowerCase()}`) ?? []
      view.set(payment.id, { spent: states[i] === true, logs: transactions.length, transactions })
    })
  }
  return view
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await task(items[index] as T)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
