import type { RawLog } from '@tollgate/evm'
import { type Client, type Hex, pad, toEventSelector } from 'viem'
import { getBlockNumber, getLogs, getTransaction, getTransactionReceipt } from 'viem/actions'
import { movesPayment, type PaymentTerms } from './movesPayment.ts'
import type { AuthorizationKey } from './paymentUseTypes.ts'

/** The EIP-3009 event a token emits when an authorization is spent. */
export const authorizationUsedEvent = {
  type: 'event',
  name: 'AuthorizationUsed',
  inputs: [
    { name: 'authorizer', type: 'address', indexed: true },
    { name: 'nonce', type: 'bytes32', indexed: true },
  ],
} as const

/** The EIP-3009 event a token emits when the payer cancels an authorization (`cancelAuthorization`). */
export const authorizationCanceledEvent = {
  type: 'event',
  name: 'AuthorizationCanceled',
  inputs: [
    { name: 'authorizer', type: 'address', indexed: true },
    { name: 'nonce', type: 'bytes32', indexed: true },
  ],
} as const

const authorizationUsedTopic = toEventSelector(authorizationUsedEvent)

/**
 * Whether `logs` hold the token's `AuthorizationUsed(payer, nonce)`: this very authorization was spent
 * there. In a batch several payments share one receipt, and this log is what tells them apart.
 */
export function isAuthorizationUsedIn(logs: readonly RawLog[], { asset, payer, nonce }: AuthorizationKey): boolean {
  const paddedPayer = pad(payer.toLowerCase() as Hex)
  return logs.some(
    (log) =>
      log.address.toLowerCase() === asset.toLowerCase() &&
      log.topics[0]?.toLowerCase() === authorizationUsedTopic &&
      log.topics[1]?.toLowerCase() === paddedPayer &&
      log.topics[2]?.toLowerCase() === nonce.toLowerCase(),
  )
}

/**
 * The transaction that spent the payer's nonce, found through its `AuthorizationUsed` log within the
 * last `lookbackBlocks`; `undefined` when none is in reach. The nonce is the payer's, not the
 * message's: any authorization of the payer under this nonce leaves the same log, so this alone does
 * not say the payee was paid (see {@link findPaymentUse}).
 */
export async function findAuthorizationUse(
  client: Client,
  key: AuthorizationKey,
  {
    lookbackBlocks = 100_000n,
    latest,
    canceled = false,
  }: {
    lookbackBlocks?: bigint
    latest?: bigint
    /** Look for the payer's `AuthorizationCanceled` instead: the authorization was burnt, nothing paid. */
    canceled?: boolean
  } = {},
): Promise<{ hash: Hex; blockNumber: bigint } | undefined> {
  const toBlock = latest ?? (await getBlockNumber(client, { cacheTime: 0 }))
  const logs = await getLogs(client, {
    address: key.asset,
    event: canceled ? authorizationCanceledEvent : authorizationUsedEvent,
    args: { authorizer: key.payer, nonce: key.nonce },
    fromBlock: toBlock > lookbackBlocks ? toBlock - lookbackBlocks : 0n,
    toBlock,
  })
  const log = logs[0]
  return log?.transactionHash && log.blockNumber !== null
    ? { hash: log.transactionHash, blockNumber: log.blockNumber }
    : undefined
}

/** The transaction that spent a payment's nonce, and whether it moved exactly this payment. */
export type PaymentUse = { hash: Hex; blockNumber: bigint; paid: boolean }

/**
 * The transaction that spent the payment's nonce ({@link findAuthorizationUse}), with `paid` when it
 * moved exactly this payment ({@link movesPayment}); `paid: false` means the payer spent the nonce on
 * something else, so this payment can never be made. `undefined` when no spender is in reach.
 */
export async function findPaymentUse(
  client: Client,
  payment: PaymentTerms,
  options: { lookbackBlocks?: bigint; latest?: bigint } = {},
): Promise<PaymentUse | undefined> {
  const use = await findAuthorizationUse(client, payment, options)
  if (!use) return undefined
  const [receipt, transaction] = await Promise.all([
    getTransactionReceipt(client, { hash: use.hash }),
    getTransaction(client, { hash: use.hash }),
  ])
  const paid = movesPayment(
    { success: receipt.status === 'success', logs: receipt.logs, to: transaction.to, input: transaction.input },
    payment,
  )
  return { ...use, paid }
}
