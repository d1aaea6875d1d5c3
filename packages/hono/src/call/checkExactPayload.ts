import { exactEvmPayloadSchema, type PaymentPayload } from '@tollgate/protocol'

/**
 * Why the payload of an `exact` payment is not a well-formed EVM authorization, or `undefined` when it
 * is (or the payment names another scheme, whose payload is the facilitator's to judge). Checked with
 * `@tollgate/protocol`'s `exactEvmPayloadSchema`, the schema the facilitator parses with: addresses of
 * 20 bytes, a 32-byte nonce, a non-empty even-length hex signature (65 bytes for an EOA, longer for
 * ERC-1271 and ERC-6492), and value and validity bounds as decimal strings within uint256. Every
 * offer the middleware makes is on an EVM network, so an `exact` payment must carry one.
 *
 * @example
 * const issue = checkExactPayload(payment)
 * if (issue) return c.json({ error: 'invalid_payload', message: issue }, 400)
 * @see scheme_exact_evm.md §1
 */
export function checkExactPayload(payment: PaymentPayload): string | undefined {
  const scheme = payment.x402Version === 2 ? payment.accepted.scheme : payment.scheme
  if (scheme !== 'exact') return undefined
  const parsed = exactEvmPayloadSchema.safeParse(payment.payload)
  if (parsed.success) return undefined
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${['payload', ...issue.path.map(String)].join('.')}: ${issue.message}`)
  return `The exact EVM payload is malformed: ${issues.join('; ')}.`
}
