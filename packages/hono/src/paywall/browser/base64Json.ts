/**
 * Standard base64 of UTF-8 JSON, as `@tollgate/protocol`'s `encodeHeader` writes x402 headers
 * (`btoa` over the UTF-8 bytes).
 */
export function encodeBase64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value))
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

/** The JSON value of a base64 header, or `undefined` when there is none or it is not base64 of JSON. */
export function decodeBase64Json(value: string | null | undefined): unknown {
  if (!value) return undefined
  try {
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(value), (char) => char.charCodeAt(0))))
  } catch {
    return undefined
  }
}
