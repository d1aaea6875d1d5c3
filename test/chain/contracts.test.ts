import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as artifacts from './contracts/artifacts.ts'
import { compileContracts } from './contracts/compileContracts.ts'

const hint = 'the committed artifacts are stale: run npm run contracts:build'

test('behavior: the committed artifacts match the Solidity sources', { timeout: 60_000 }, () => {
  const compiled = compileContracts()
  const committed: unknown = JSON.parse(readFileSync(new URL('./contracts/artifacts.json', import.meta.url), 'utf8'))
  expect(committed, hint).toEqual(compiled)
  expect(artifacts.testUsdc.abi, hint).toEqual(compiled.contracts.TestUsdc.abi)
  expect(artifacts.smartWallet.abi, hint).toEqual(compiled.contracts.SmartWallet.abi)
  expect(artifacts.smartWalletFactory.abi, hint).toEqual(compiled.contracts.SmartWalletFactory.abi)
  expect(artifacts.testUsdc.deployedBytecode, hint).toBe(compiled.contracts.TestUsdc.deployedBytecode)
})
