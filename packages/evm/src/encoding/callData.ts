/**
 * Hand-encoded calldata for the calls one verification batches (internal). Selectors are pinned by
 * `callData.test.ts` against {@link eip3009Abi} through viem.
 */
import type { Address, Hex } from 'viem'
import { addressWord, padRight, word } from './hex.ts'

export const selectors = {
  balanceOf: '70a08231',
  authorizationState: 'e94a0102',
  paused: '5c975abb',
  isBlacklisted: 'fe575a87',
  isValidSignature: '1626ba7e',
  transferWithAuthorizationVrs: 'e3ee160e',
  transferWithAuthorizationBytes: 'cf092995',
} as const

/** ERC-1271 magic value, left-aligned in a 32-byte return word. */
export const erc1271MagicWord = `0x${selectors.isValidSignature}${'0'.repeat(56)}`

export const balanceOfData = (account: Address): Hex => `0x${selectors.balanceOf}${addressWord(account)}`

export const authorizationStateData = (authorizer: Address, nonce: Hex): Hex =>
  `0x${selectors.authorizationState}${addressWord(authorizer)}${nonce.slice(2).toLowerCase()}`

export const pausedData: Hex = `0x${selectors.paused}`

export const isBlacklistedData = (account: Address): Hex => `0x${selectors.isBlacklisted}${addressWord(account)}`

export const isValidSignatureData = (digest: Hex, signature: Hex): Hex =>
  `0x${selectors.isValidSignature}${digest.slice(2)}${word(0x40)}${word((signature.length - 2) / 2)}${padRight(signature)}`
