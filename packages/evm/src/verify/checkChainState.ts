import type { Address } from 'viem'
import { call3Word } from '../encoding/call3Word.ts'
import type { MulticallGroupResult } from './createMulticallScheduler.ts'
import type { ExactFailure } from './exactFailure.ts'
import { exactReads } from './exactReadGroup.ts'

export type CheckChainStateParameters = {
  asset: Address
  /** CAIP-2 network of the asset, for messages. */
  network: string
  /** The authorization's value, in atomic units. */
  value: bigint
}

/**
 * The token's state as the batched read answered it (internal), in order: the asset has code
 * (`asset_not_deployed_contract`) and answers `balanceOf`/`authorizationState`
 * (`invalid_exact_evm_eip3009_not_supported`), the balance covers the value
 * (`insufficient_funds`), the nonce is unused (`invalid_exact_evm_nonce_already_used`), the token
 * is not paused (`asset_paused`), and neither party is blacklisted (`…_from_address_kyt`,
 * `…_to_address_kyt`). The first failure, or `undefined`.
 */
export function checkChainState(
  result: MulticallGroupResult,
  { asset, network, value }: CheckChainStateParameters,
): ExactFailure | undefined {
  const balanceResult = result.reads[exactReads.balance]
  if (balanceResult?.success && balanceResult.returnData === '0x') {
    return { code: 'asset_not_deployed_contract', message: `${asset} has no code on ${network}.` }
  }
  const balance = call3Word(balanceResult)
  const used = call3Word(result.reads[exactReads.authorizationState])
  if (balance === undefined || used === undefined) {
    return {
      code: 'invalid_exact_evm_eip3009_not_supported',
      message: `${asset} does not answer balanceOf/authorizationState.`,
    }
  }
  if (balance < value) return { code: 'insufficient_funds', message: `balance ${balance} < ${value}` }
  if (used !== 0n) return { code: 'invalid_exact_evm_nonce_already_used' }
  if ((call3Word(result.reads[exactReads.paused]) ?? 0n) !== 0n) {
    return { code: 'asset_paused', message: `${asset} is paused.` }
  }
  if ((call3Word(result.reads[exactReads.payerBlacklisted]) ?? 0n) !== 0n) {
    return { code: 'invalid_exact_evm_payload_authorization_from_address_kyt' }
  }
  if ((call3Word(result.reads[exactReads.payeeBlacklisted]) ?? 0n) !== 0n) {
    return { code: 'invalid_exact_evm_payload_authorization_to_address_kyt' }
  }
  return undefined
}
