import { encodeHeader, errorInfo, headers as headerNames, type SettleResponse } from '@tollgate/protocol'
import type { Context } from 'hono'
import { byteLength, failedQuote, paywallInfo, type Quote, type QuotedOffer } from '../call/quote.ts'
import type { SettleResult, VerifyResult } from '../facilitator/facilitatorClient.ts'
import type { PaywallInfo } from '../paywall.ts'

/** `Retry-After` of a pending settlement, in seconds: about two Base blocks. */
const retryAfterSeconds = 2

/** The unpaid 402 for a browser: the paywall page, rendered once per quote, and the v2 quote header. */
export function htmlResponse(quote: Quote, render: (info: PaywallInfo) => string): Response {
  if (!quote.html) {
    const body = render(paywallInfo(quote))
    quote.html = {
      body,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': String(byteLength(body)),
        'Cache-Control': 'no-store',
        [headerNames.paymentRequired]: quote.header,
      },
    }
  }
  return new Response(quote.html.body, { status: 402, headers: quote.html.headers })
}

/** A JSON answer that no cache keeps. */
export function jsonResponse(status: number, body: unknown, extra?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...extra },
  })
}

/** A 402 that answers a failed payment: the quote again, with the reason. */
export function refused(
  quote: Quote,
  reason: string,
  payer: string | undefined,
  extra?: Record<string, string>,
): Response {
  const failed = failedQuote(quote, reason, payer)
  return new Response(failed.body, {
    status: 402,
    headers: {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      [headerNames.paymentRequired]: failed.header,
      ...extra,
    },
  })
}

/** `PAYMENT-RESPONSE` (and `X-PAYMENT-RESPONSE` for a v1 payment) carrying the settlement. */
function receiptHeaders(response: SettleResponse, version: 1 | 2): Record<string, string> {
  const value = encodeHeader(response)
  return version === 1
    ? { [headerNames.paymentResponse]: value, [headerNames.xPaymentResponse]: value }
    : { [headerNames.paymentResponse]: value }
}

/**
 * The answer when the facilitator is overloaded (it answered 429 or 503): our overload, never the
 * buyer's fault, so 503 with `Retry-After`, whatever limit the facilitator applied to the seller.
 */
function overloaded(seconds: number, reason: string, extra?: Record<string, string>): Response {
  return jsonResponse(
    503,
    {
      error: 'facilitator_unavailable',
      reason,
      message: 'The payment service is busy; send the same payment again after Retry-After seconds.',
    },
    { ...extra, 'Retry-After': String(seconds) },
  )
}

/** The answer to a payment the facilitator did not verify: a 402 when it is invalid, else the code's status. */
export function verifyFailure(quote: Quote, verdict: Extract<VerifyResult, { ok: false }>): Response {
  if (verdict.retryAfterSeconds !== undefined) return overloaded(verdict.retryAfterSeconds, verdict.reason)
  const { status, class: kind } = errorInfo(verdict.code)
  if (kind === 'invalid') return refused(quote, verdict.reason, verdict.payer)
  return jsonResponse(status, { error: verdict.code, reason: verdict.reason, message: verdict.message })
}

/**
 * The answer to a payment that did not settle, with the settlement as receipt: 202 and `Retry-After`
 * while it is pending, a 402 when it is invalid, else the code's status.
 */
export function settleFailure(
  quote: Quote,
  matched: QuotedOffer,
  version: 1 | 2,
  result: Extract<SettleResult, { ok: false }>,
): Response {
  const network = version === 2 ? matched.v2.network : (matched.v1?.network ?? matched.v2.network)
  const response: SettleResponse = result.response ?? {
    success: false,
    errorReason: result.reason,
    transaction: '',
    network,
  }
  const receipt = receiptHeaders(response, version)
  const { status, class: kind } = errorInfo(result.code)
  if (kind === 'pending') {
    return jsonResponse(
      status,
      {
        error: result.code,
        message: 'The payment was submitted and is not confirmed yet. Do not pay again: send the same payment again.',
        transaction: response.transaction,
        network: response.network,
      },
      { ...receipt, 'Retry-After': String(retryAfterSeconds) },
    )
  }
  if (result.retryAfterSeconds !== undefined) return overloaded(result.retryAfterSeconds, result.reason, receipt)
  if (result.code === 'payment_already_delivered') {
    return jsonResponse(status, {
      error: result.code,
      message: 'This payment was already delivered once; a new request needs a new payment.',
      transaction: response.transaction,
      network: response.network,
    })
  }
  if (kind === 'invalid') return refused(quote, result.reason, response.payer ?? undefined, receipt)
  return jsonResponse(status, { error: result.code, reason: result.reason, message: result.message }, receipt)
}

/** Adds the receipt and cache headers to the handler's response, with one copy. */
export function deliver(c: Context, response: SettleResponse, version: 1 | 2): void {
  const res = c.res
  const headers = new Headers(res.headers)
  for (const [name, value] of Object.entries(receiptHeaders(response, version))) headers.set(name, value)
  const cacheControl = headers.get('Cache-Control')
  if (cacheControl === null) headers.set('Cache-Control', 'private')
  else if (!/\b(?:private|no-store)\b/i.test(cacheControl)) headers.set('Cache-Control', `${cacheControl}, private`)
  c.res = undefined
  c.res = new Response(res.body, { status: res.status, statusText: res.statusText, headers })
}

/** Replaces the handler's response (its body released), none of its headers kept. */
export function replace(c: Context, response: Response): void {
  const old = c.res
  try {
    old.body?.cancel().catch(() => {})
  } catch {
    // A body already used or locked has nothing left to release.
  }
  c.res = undefined
  c.res = response
}
