/**
 * One paid request as the buyer feels it: the official v2 client (`@x402/fetch` with `@x402/evm`'s
 * exact client scheme) asks, gets the 402, signs, asks again with the payment, and holds the paid
 * 200 with its body. The clock runs from the first request to the body read.
 */
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { decodePaymentResponseHeader, wrapFetchWithPayment } from '@x402/fetch'
import type { LocalAccount } from 'viem'

export type TimedPayment =
  | {
      ok: true
      /** From the first request to the paid body in hand. */
      ms: number
      /** From the first request to its 402. */
      quoteMs: number
      /** The settlement transaction named in `PAYMENT-RESPONSE`, if any. */
      transaction: string | undefined
    }
  | { ok: false; ms: number; error: string }

/** The official client of `payer` on `network`. */
export function buyer(payer: LocalAccount, network: `eip155:${number}`): x402Client {
  return new x402Client().register(network, new ExactEvmScheme(payer))
}

/** Pays `url` once with `client`; a failure is a value, never thrown. */
export async function timedPayment(client: x402Client, url: string, timeoutMs: number): Promise<TimedPayment> {
  let quoted: number | undefined
  const pay = wrapFetchWithPayment(async (input, init) => {
    const response = await fetch(input, init)
    quoted ??= performance.now()
    return response
  }, client)
  const started = performance.now()
  try {
    const response = await pay(url, { signal: AbortSignal.timeout(timeoutMs) })
    const body = await response.text()
    const ms = performance.now() - started
    if (response.status !== 200) return { ok: false, ms, error: `${response.status} ${body.slice(0, 200)}` }
    const header = response.headers.get('payment-response')
    if (!header) return { ok: false, ms, error: '200 without PAYMENT-RESPONSE' }
    const settlement = decodePaymentResponseHeader(header)
    if (!settlement.success) return { ok: false, ms, error: `PAYMENT-RESPONSE ${JSON.stringify(settlement)}` }
    return {
      ok: true,
      ms,
      quoteMs: (quoted ?? started) - started,
      transaction: settlement.transaction || undefined,
    }
  } catch (error) {
    return { ok: false, ms: performance.now() - started, error: error instanceof Error ? error.message : String(error) }
  }
}
