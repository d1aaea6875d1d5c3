/**
 * Standard base64 (RFC 4648 §4, `+/` with `=` padding) of UTF-8 text, with Web APIs only
 * (`TextEncoder`, `btoa`, `atob`), so it runs on Node, Workers and browsers alike.
 */
export function encodeBase64(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * Decodes standard base64 to UTF-8 text. Returns `undefined` when the input is not canonical
 * standard base64 (base64url, whitespace, bad padding) or not valid UTF-8.
 */
export function decodeBase64(value: string): string | undefined {
  if (!base64Pattern.test(value)) return undefined
  const binary = atob(value)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}
