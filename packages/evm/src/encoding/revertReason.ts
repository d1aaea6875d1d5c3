/** A readable reason from revert data (internal): `Error(string)`, `Panic(uint256)`, or the raw hex. */
import type { Hex } from 'viem'
import { hexToBytesOrUndefined } from './hex.ts'

export function revertReason(data: Hex): string {
  if (data === '0x') return 'reverted without a reason'
  const selector = data.slice(0, 10).toLowerCase()
  if (selector === '0x08c379a0' && data.length >= 138) {
    const length = Number.parseInt(data.slice(74, 138), 16)
    const bytes = hexToBytesOrUndefined(`0x${data.slice(138, 138 + length * 2)}`)
    if (bytes && bytes.length === length) return new TextDecoder().decode(bytes)
  }
  if (selector === '0x4e487b71' && data.length >= 74) return `panic 0x${BigInt(`0x${data.slice(10, 74)}`).toString(16)}`
  return `reverted with ${data.length > 202 ? `${data.slice(0, 202)}…` : data}`
}
