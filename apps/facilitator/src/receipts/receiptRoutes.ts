import { type Facilitator, lookupReceipt, receiptIdPattern } from '@tollgate/facilitator'
import type { Context, Hono } from 'hono'
import { type Authenticate, authFailures, identifyCaller } from '../http/auth.ts'

/**
 * The receipt routes, when the facilitator signs receipts:
 *
 * - `GET /.well-known/jwks.json`: the receipt keys (public), the active one first and the retired
 *   ones after it, for anyone (CORS `*`); cacheable for 5 minutes.
 * - `GET /.well-known/did.json` (with a did:web origin): the same keys as a DID document.
 * - `GET /receipts/:id`: the receipt and the payment's current state (`pending`, `settled`,
 *   `failed`). With auth on, to a caller whose payTo list holds the payment's payee (any scope); a
 *   receipt of another payee is `404 not_found`, like an unknown id. With auth off, to whoever knows
 *   the id (128 random bits).
 */
export function mountReceiptRoutes<E extends { Variables: { requestId: string } }>(
  app: Hono<E>,
  facilitator: Facilitator,
  { authenticate }: { authenticate?: Authenticate | undefined },
): void {
  const signer = facilitator.receipts
  if (!signer) return
  const jwks = JSON.stringify(signer.jwks)
  app.get('/.well-known/jwks.json', function jwksRoute(c) {
    // Public keys, readable cross-origin: a buyer's browser verifies receipts with them.
    return c.body(jwks, 200, {
      'content-type': 'application/json',
      'cache-control': 'public, max-age=300',
      'access-control-allow-origin': '*',
    })
  })

  if (signer.didDocument) {
    // did:web resolution of the receipt kids (x402 offer-receipt §3.3: kid is a DID URL).
    const did = JSON.stringify(signer.didDocument)
    app.get('/.well-known/did.json', function didRoute(c) {
      return c.body(did, 200, {
        'content-type': 'application/did+json',
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
      })
    })
  }

  const notFound = { error: 'not_found', message: 'No such receipt.' } as const
  const route = async function receiptRoute(c: Context) {
    const caller = c.get('caller')
    if (authenticate && !caller) {
      c.header('www-authenticate', 'Bearer')
      return c.json(authFailures.unauthorized, 401)
    }
    const id = c.req.param('id') ?? ''
    if (!receiptIdPattern.test(id)) return c.json(notFound, 404)
    const found = await lookupReceipt(facilitator, id)
    if (!found) return c.json(notFound, 404)
    const payee = found.payTo.toLowerCase()
    if (caller && caller.payTo !== '*' && !caller.payTo.some((address) => address.toLowerCase() === payee)) {
      return c.json(notFound, 404)
    }
    return c.json(found, 200, { 'cache-control': 'no-store' })
  }
  if (authenticate) app.get('/receipts/:id', identifyCaller(authenticate), route)
  else app.get('/receipts/:id', route)
}
