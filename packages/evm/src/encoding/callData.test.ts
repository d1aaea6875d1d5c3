import { encodeFunctionData, toFunctionSelector } from 'viem'
import { expect, test } from 'vitest'
import {
  authorizationStateData,
  balanceOfData,
  isBlacklistedData,
  isValidSignatureData,
  pausedData,
  selectors,
} from './callData.ts'
import { eip3009Abi } from './eip3009Abi.ts'

const account = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC'
const nonce = `0x${'1f'.repeat(32)}` as const

test('default: selectors match the ABI', () => {
  expect(`0x${selectors.balanceOf}`).toBe(toFunctionSelector('balanceOf(address)'))
  expect(`0x${selectors.authorizationState}`).toBe(toFunctionSelector('authorizationState(address,bytes32)'))
  expect(`0x${selectors.paused}`).toBe(toFunctionSelector('paused()'))
  expect(`0x${selectors.isBlacklisted}`).toBe(toFunctionSelector('isBlacklisted(address)'))
  expect(`0x${selectors.isValidSignature}`).toBe(toFunctionSelector('isValidSignature(bytes32,bytes)'))
  expect(`0x${selectors.transferWithAuthorizationVrs}`).toBe(
    toFunctionSelector(
      'transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,uint8,bytes32,bytes32)',
    ),
  )
  expect(`0x${selectors.transferWithAuthorizationBytes}`).toBe(
    toFunctionSelector('transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)'),
  )
})

test('behavior: encodings equal viem encodeFunctionData', () => {
  const viem = (functionName: string, args: readonly unknown[]) =>
    encodeFunctionData({ abi: eip3009Abi, functionName, args } as never).toLowerCase()
  expect(balanceOfData(account)).toBe(viem('balanceOf', [account]))
  expect(authorizationStateData(account, nonce)).toBe(viem('authorizationState', [account, nonce]))
  expect(pausedData).toBe(viem('paused', []))
  expect(isBlacklistedData(account)).toBe(viem('isBlacklisted', [account]))
  for (const signature of [`0x${'ab'.repeat(65)}`, `0x${'cd'.repeat(200)}`, '0x'] as const) {
    expect(isValidSignatureData(nonce, signature)).toBe(viem('isValidSignature', [nonce, signature]))
  }
})
