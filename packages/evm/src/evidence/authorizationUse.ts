import { type Client, type Hex, pad } from 'viem'
import { getBlockNumber, getLogs, getTransaction, getTransactionReceipt } from 'viem/actions'
import { authorizationCanceledEvent, authorizationUsedEvent, authorizationUsedTopic } from '../encoding/eip3009Abi.ts'
import type { AuthorizationKey } from './authorizationKey.ts'
import type { RawLog } from './hasTransferLog.ts'
import { movesPayment, type PaymentTerms } from './movesPayment.ts'

/**
 * Whether `logs` hold the token's `AuthorizationUsed(payer, nonce)`: this very authorization was spent
 * there. In a batch several payments share one receipt, and this log is what tells them apart.
 *
 * @example
 * import { isAuthorizationUsedIn } from '@tollgate/evm'
 * const spentHere = isAuthorizationUsedIn(receipt.logs, { asset, payer, nonce })
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

export type FindAuthorizationUseOptions = {
  /** How far back (blocks) to look for the log. Default `100_000n`. */
  lookbackBlocks?: bigint
  /** The block to look back from. Default: the latest, read once. */
  latest?: bigint
  /** Look for the payer's `AuthorizationCanceled` instead: the authorization was burnt, nothing paid. */
  canceled?: boolean
}

/**
 * The transaction that spent the payer's nonce, found through its `AuthorizationUsed` log within the
 * last `lookbackBlocks`; `undefined` when none is in reach. The nonce is the payer's, not the
 * message's: any authorization of the payer under this nonce leaves the same log, so this alone does
 * not say the payee was paid (see {@link findPaymentUse}).
 *
 * @example
 * import { findAuthorizationUse } from '@tollgate/evm'
 * const spender = await findAuthorizationUse(client, { asset, payer, nonce }, { lookbackBlocks: 10_000n })
 */
export async function findAuthorizationUse(
  client: Client,
  key: AuthorizationKey,
  { lookbackBlocks = 100_000n, latest, canceled = false }: FindAuthorizationUseOptions = {},
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
 *
 * @example
 * import { findPaymentUse } from '@tollgate/evm'
 * const use = await findPaymentUse(client, { asset, payer, payTo, amount, nonce, validAfter, validBefore })
 */
export async function findPaymentUse(
  client: Client,
  payment: PaymentTerms,
  options: Omit<FindAuthorizationUseOptions, 'canceled'> = {},
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
