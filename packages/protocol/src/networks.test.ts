import { expect, test } from 'vitest'
import { assets, defaultAsset, findAsset } from './assets.ts'
import { chainIdOf, toCaip2, toV1Name, v1Networks } from './networks.ts'

test('default', () => {
  expect(toCaip2('base')).toBe('eip155:8453')
  expect(toCaip2('base-sepolia')).toBe('eip155:84532')
  expect(toCaip2('eip155:8453')).toBe('eip155:8453')
  expect(toV1Name('eip155:8453')).toBe('base')
  expect(toV1Name('eip155:84532')).toBe('base-sepolia')
  expect(toV1Name('base')).toBe('base')
  expect(chainIdOf('base')).toBe(8453)
  expect(chainIdOf('eip155:84532')).toBe(84532)
})

test('behavior: both directions agree for every v1 name', () => {
  for (const [name, caip2] of Object.entries(v1Networks)) {
    expect(toCaip2(name)).toBe(caip2)
    expect(toV1Name(caip2)).toBe(name)
  }
})

test('behavior: unknown or malformed networks are undefined', () => {
  for (const network of ['', 'basee', 'eip155:', 'eip155:0x1', 'eip155:01', 'solana:abc', 'toString', '__proto__']) {
    expect(toCaip2(network)).toBeUndefined()
    expect(toV1Name(network)).toBeUndefined()
    expect(chainIdOf(network)).toBeUndefined()
  }
  expect(toV1Name('eip155:31337')).toBeUndefined()
  expect(toCaip2('eip155:31337')).toBe('eip155:31337')
})

test('behavior: USDC domains differ between Base and Base Sepolia', () => {
  expect(assets['eip155:8453']).toMatchInlineSnapshot(`
    {
      "address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
      "decimals": 6,
      "name": "USD Coin",
      "network": "eip155:8453",
      "symbol": "USDC",
      "version": "2",
    }
  `)
  expect(assets['eip155:84532'].name).toBe('USDC')
  expect(defaultAsset('eip155:1')).toBeUndefined()
  expect(defaultAsset('constructor')).toBeUndefined()
  expect(findAsset('eip155:8453', '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913')?.name).toBe('USD Coin')
  expect(findAsset('eip155:8453', assets['eip155:84532'].address)).toBeUndefined()
})
