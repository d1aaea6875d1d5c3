import { keccak_256 } from '@noble/hashes/sha3.js'

const addressPattern = /^0x[0-9a-fA-F]{40}$/
const cache = new Map<string, `0x${string}` | undefined>()
const encoder = new TextEncoder()

/**
 * The EIP-55 checksummed form of an EVM address (what viem's `getAddress` returns), or `undefined`
 * when `value` is not `0x` and 40 hex digits, or is mixed-case with a wrong checksum: a mistyped
 * `payTo` must fail at startup, not send money to the wrong place. All-lower and all-upper input
 * carries no checksum and is accepted. Keccak-256 comes from `@noble/hashes` (Web APIs only).
 */
export function checksumAddress(value: string): `0x${string}` | undefined {
  if (!addressPattern.test(value)) return undefined
  if (cache.has(value)) return cache.get(value)
  const lower = value.slice(2).toLowerCase()
  const hash = keccak_256(encoder.encode(lower))
  let out = '0x'
  for (let i = 0; i < 40; i++) {
    const char = lower[i] as string
    const byte = hash[i >> 1] as number
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f
    out += nibble >= 8 ? char.toUpperCase() : char
  }
  const body = value.slice(2)
  const hasChecksum = body !== body.toLowerCase() && body !== body.toUpperCase()
  const result = hasChecksum && out !== value ? undefined : (out as `0x${string}`)
  if (cache.size >= 1024) cache.clear()
  cache.set(value, result)
  return result
}
