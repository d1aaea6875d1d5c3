import { receiptIdOf, receiptOf, type SettleResponse } from '@tollgate/protocol'
import type { Context } from 'hono'
import type { FacilitatorCall, FacilitatorClient } from '../facilitator/facilitatorClient.ts'
import type { Payment } from '../payment.ts'

/** Whether the facilitator signs receipts (so the response is worth hashing); never throws. */
export async function signsReceipts(facilitator: FacilitatorClient, c: Context): Promise<boolean> {
  try {
    return (await facilitator.receipts?.(c)) === true
  } catch {
    return false
  }
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')

/**
 * `0x` and the SHA-256 (Web Crypto) of the handler's response body, for the receipt of a route that
 * settles after the handler: the body is read once and `c.res` replaced by the same bytes, so what
 * is hashed is exactly what is delivered. A streamed event response (`text/event-stream`) is not
 * read (it may never end): `undefined`.
 */
export async function hashResponse(c: Context): Promise<`0x${string}` | undefined> {
  const res = c.res
  if (/^text\/event-stream\b/i.test(res.headers.get('content-type') ?? '')) return undefined
  const bytes = new Uint8Array(await res.arrayBuffer())
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  const headers = new Headers(res.headers)
  c.res = undefined
  c.res = new Response(res.status === 204 || res.status === 304 ? null : bytes, {
    status: res.status,
    statusText: res.statusText,
    headers,
  })
  return `0x${hex(digest)}`
}

/** Sets `payment.receipt` and `payment.receiptId` from a settle answer (both `undefined` without one). */
export function takeReceipt(payment: Payment, response: SettleResponse | undefined): void {
  payment.receipt = response ? receiptOf(response) : undefined
  payment.receiptId = response ? receiptIdOf(response) : undefined
}

/**
 * Before a settlement that follows a successful handler, when the facilitator signs receipts: the
 * SHA-256 of the body about to be delivered goes into `tollgate.responseHash` (see {@link hashResponse}).
 */
export async function bindResponse(
  facilitator: FacilitatorClient,
  c: Context,
  tollgate: NonNullable<FacilitatorCall['tollgate']> | undefined,
): Promise<void> {
  if (!tollgate || c.error !== undefined || c.res.status >= 400 || c.res.body === null) return
  if (await signsReceipts(facilitator, c)) tollgate.responseHash = await hashResponse(c)
}
