/**
 * A fresh delivery claim for one buyer request (Tollgate's `tollgate.claim`): 128 random bits,
 * base64url. The facilitator binds the request's reservation and the payment's one delivery to it, so
 * it is never derived from the payment: a replayed payment header always arrives with another claim.
 */
export function newClaim(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}
