/**
 * Byte/hex helpers for the hot verification path. viem's general helpers validate and allocate more
 * than this path needs; these write straight into a caller's buffer. Internal: not exported.
 */
import type { Hex } from 'viem'

const byteToHex: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48 // 0-9
  if (code >= 97 && code <= 102) return code - 87 // a-f
  if (code >= 65 && code <= 70) return code - 55 // A-F
  return -1
}

/**
 * Writes `byteLength` bytes of hex digits read from `hex` at character `from` into `target` at
 * `offset`; `false` if a digit is not hex. The caller checks that the digits are there.
 */
export function readHex(target: Uint8Array, offset: number, hex: string, from: number, byteLength: number): boolean {
  for (let i = 0; i < byteLength; i++) {
    const high = nibble(hex.charCodeAt(from + i * 2))
    const low = nibble(hex.charCodeAt(from + 1 + i * 2))
    if (high < 0 || low < 0) return false
    target[offset + i] = high * 16 + low
  }
  return true
}

/** The byte whose two hex digits start at character `at` of `hex`, or `-1` if they are not hex. */
export function hexByteAt(hex: string, at: number): number {
  const high = nibble(hex.charCodeAt(at))
  const low = nibble(hex.charCodeAt(at + 1))
  return high < 0 || low < 0 ? -1 : high * 16 + low
}

/** Writes `byteLength` bytes of `hex` (0x-prefixed, exactly that long) into `target` at `offset`. */
export function writeHex(target: Uint8Array, offset: number, hex: string, byteLength: number): boolean {
  return hex.length === 2 + byteLength * 2 && readHex(target, offset, hex, 2, byteLength)
}

/** Writes `value` as a big-endian uint256 into 32 bytes of `target` at `offset`. */
export function writeUint256(target: Uint8Array, offset: number, value: bigint): void {
  if (value >= 0n && value <= 0xffffffffffffn) {
    // Amounts and timestamps are small: six bytes of arithmetic, no string round trip.
    let rest = Number(value)
    target.fill(0, offset, offset + 26)
    for (let i = offset + 31; i >= offset + 26; i--) {
      target[i] = rest % 256
      rest = Math.floor(rest / 256)
    }
    return
  }
  const hex = value.toString(16)
  const padded = hex.length >= 64 ? hex.slice(-64) : '0'.repeat(64 - hex.length) + hex
  for (let i = 0; i < 32; i++) {
    target[offset + i] = nibble(padded.charCodeAt(i * 2)) * 16 + nibble(padded.charCodeAt(i * 2 + 1))
  }
}

/** Whether `hex` starts with `0x` (or `0X`) and has an even length. */
export function isHexShaped(hex: string): boolean {
  return hex.length >= 2 && hex.charCodeAt(0) === 48 && (hex.charCodeAt(1) | 0x20) === 120 && hex.length % 2 === 0
}

/** The bytes of 0x-prefixed even-length hex, or `undefined` if it is not hex. */
export function hexToBytesOrUndefined(hex: string): Uint8Array | undefined {
  if (!isHexShaped(hex)) return undefined
  const bytes = new Uint8Array((hex.length - 2) / 2)
  return readHex(bytes, 0, hex, 2, bytes.length) ? bytes : undefined
}

/** Lowercase 0x-prefixed hex of `bytes`. */
export function toHex(bytes: Uint8Array): Hex {
  let out = '0x'
  for (let i = 0; i < bytes.length; i++) out += byteToHex[bytes[i] as number]
  return out as Hex
}

/** 64 zero digits: left padding is a slice of it, not a fresh `repeat`. */
const zeroWord = '0'.repeat(64)

/** 32-byte word (64 hex digits, no prefix) of an unsigned integer. */
export function word(value: bigint | number): string {
  const hex = value.toString(16)
  return hex.length >= 64 ? hex.slice(-64) : zeroWord.slice(hex.length) + hex
}

/** 32-byte word (no prefix) of an address, left-padded. */
export function addressWord(address: string): string {
  return `000000000000000000000000${address.slice(2).toLowerCase()}`
}

/** Hex digits (no prefix) of `data`, right-padded to a multiple of 32 bytes. */
export function padRight(data: string): string {
  const digits = data.startsWith('0x') ? data.slice(2) : data
  const remainder = digits.length % 64
  return remainder === 0 ? digits : digits + zeroWord.slice(remainder)
}
