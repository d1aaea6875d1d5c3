import type { Address, BlockTag, Client } from 'viem'
import { call } from 'viem/actions'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import { settlementData } from '../encoding/settlementData.ts'
import { RpcUnavailableError } from '../errors.ts'
import type { VerifiedSignature } from './checkWalletSignature.ts'
import { isExecutionFailure } from './isExecutionFailure.ts'

/**
 * The transaction fields a payment's settlement will be sent with (see `SignerPool.quote`): its
 * simulation runs with the same sender, gas limit and fees.
 */
export type SettlementFields = {
  from: Address
  gas: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

export type SimulateSettlementParameters = {
  asset: Address
  authorization: ExactAuthorization
  signature: VerifiedSignature
  fields: SettlementFields
  /** Multicall3, through which an undeployed ERC-6492 wallet is deployed before the transfer. */
  multicallAddress: Address
  blockTag: BlockTag
}

/**
 * The settlement transaction itself, simulated alone with the fields it will be sent with
 * (internal): one `eth_call` of `transferWithAuthorization` from `fields.from` with its gas limit
 * and fees, through Multicall3 after the factory call for an ERC-6492 wallet. `undefined` when it
 * succeeds, the reason when it reverts; throws {@link RpcUnavailableError} when the node fails.
 */
export async function simulateSettlement(
  client: Client,
  { asset, authorization, signature, fields, multicallAddress, blockTag }: SimulateSettlementParameters,
): Promise<string | undefined> {
  const request = settlementData([{ asset, authorization, signature }], { multicallAddress })
  try {
    await call(client, {
      account: fields.from,
      ...request,
      gas: fields.gas,
      maxFeePerGas: fields.maxFeePerGas,
      maxPriorityFeePerGas: fields.maxPriorityFeePerGas,
      blockTag,
      batch: false,
    })
    return undefined
  } catch (error) {
    if (isExecutionFailure(error)) {
      return `reverted when simulated with the settlement's gas limit ${fields.gas} and fees`
    }
    throw new RpcUnavailableError({ message: 'The RPC node did not answer the settlement simulation.', cause: error })
  }
}
