import type { Address, Hex } from 'viem'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import type { Call3 } from '../encoding/aggregate3.ts'
import { call3Word } from '../encoding/call3Word.ts'
import {
  authorizationStateData,
  balanceOfData,
  isBlacklistedData,
  isValidSignatureData,
  pausedData,
} from '../encoding/callData.ts'
import { transferWithAuthorizationData } from '../encoding/transferWithAuthorizationData.ts'
import type { Erc6492Deployment } from './checkSignatureLocally.ts'
import type { MulticallGroup, MulticallGroupResult } from './createMulticallScheduler.ts'
import type { ScreenAnswers, ScreenHook } from './screenHook.ts'

/** Where each of the verification's reads sits in the group's `reads` (internal). */
export const exactReads = {
  /** The token's `balanceOf(payer)`. */
  balance: 0,
  /** The token's `authorizationState(payer, nonce)`. */
  authorizationState: 1,
  /** The token's `paused()`. */
  paused: 2,
  /** The token's `isBlacklisted(payer)`. */
  payerBlacklisted: 3,
  /** The token's `isBlacklisted(to)`. */
  payeeBlacklisted: 4,
  /** The payer's `isValidSignature(digest, signature)`: an empty success when it has no code. */
  payerSignature: 5,
} as const

/**
 * Where the ERC-6492 deployment and the deployed wallet's `isValidSignature` sit in the group's
 * `effects`, when there is a deployment (internal); the simulated transfer is always the last effect.
 */
export const exactDeploymentEffects = { deployment: 0, deployedSignature: 1 } as const

export type ExactReadGroupParameters = {
  asset: Address
  authorization: ExactAuthorization
  /** The signature as sent (part of the group's key). */
  signature: Hex
  /** The signature without its ERC-6492 wrapper. */
  inner: Hex
  deployment: Erc6492Deployment | undefined
  /** The authorization's EIP-712 digest. */
  digest: Hex
  screen: ScreenHook | undefined
}

export type ExactReadGroupReturnType = {
  group: MulticallGroup
  /** Index in `reads` of the screening hook's first read. */
  screenAt: number
}

/**
 * The chain state one verification asks for, as one Multicall3 group (internal): the reads of
 * {@link exactReads}, then the screening hook's; the effects are the ERC-6492 deployment and the
 * deployed wallet's `isValidSignature` (when there is one), then the simulated
 * `transferWithAuthorization`.
 */
export function exactReadGroup({
  asset,
  authorization,
  signature,
  inner,
  deployment,
  digest,
  screen,
}: ExactReadGroupParameters): ExactReadGroupReturnType {
  const payer = authorization.from
  const reads: Call3[] = [
    { target: asset, allowFailure: true, callData: balanceOfData(payer) },
    { target: asset, allowFailure: true, callData: authorizationStateData(payer, authorization.nonce) },
    { target: asset, allowFailure: true, callData: pausedData },
    { target: asset, allowFailure: true, callData: isBlacklistedData(payer) },
    { target: asset, allowFailure: true, callData: isBlacklistedData(authorization.to) },
    // Asked of every payer, locally valid or not: an account with code (a wallet, or an EOA delegated
    // with EIP-7702) is checked by the token through `isValidSignature`, not `ecrecover`. A payer
    // without code answers an empty success.
    { target: payer, allowFailure: true, callData: isValidSignatureData(digest, inner) },
  ]
  const effects: Call3[] = []
  if (deployment) {
    effects.push(
      { target: deployment.factory, allowFailure: true, callData: deployment.factoryData },
      { target: payer, allowFailure: true, callData: isValidSignatureData(digest, inner) },
    )
  }
  effects.push({ target: asset, allowFailure: true, callData: transferWithAuthorizationData(authorization, inner) })
  const screenAt = reads.length
  if (screen) reads.push(...screen.reads)
  return { group: { key: `${digest}${signature}${screen ? `:${screenAt}` : ''}`, reads, effects }, screenAt }
}

/** What the group answered that screening needs (internal; see {@link ScreenAnswers}). */
export function screenAnswers(result: MulticallGroupResult, screenAt: number): ScreenAnswers {
  const flag = (index: number) => {
    const value = call3Word(result.reads[index])
    return value === undefined || value > 1n ? undefined : value === 1n
  }
  return {
    payerBlacklisted: flag(exactReads.payerBlacklisted),
    payeeBlacklisted: flag(exactReads.payeeBlacklisted),
    paused: flag(exactReads.paused),
    results: result.reads.slice(screenAt),
  }
}
