/**
 * A Worker that verifies receipts with `@tollgate/hono`'s helper inside workerd (no nodejs_compat):
 * `POST /` with `{ receipt, resourceUrl?, jwks? }`; without `jwks` the keys are fetched from the
 * `JWKS_URL` binding (cached in the isolate).
 */
import { createReceiptVerifier, type ReceiptVerifier } from '@tollgate/hono'

type Env = { JWKS_URL: string }
let remote: ReceiptVerifier | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { receipt, resourceUrl, jwks } = (await request.json()) as {
      receipt: string
      resourceUrl?: string
      jwks?: { keys: [] }
    }
    remote ??= createReceiptVerifier({ jwks: env.JWKS_URL, refreshCooldownMs: 0 })
    const verify = jwks ? createReceiptVerifier({ jwks }) : remote
    const result = await verify(receipt, resourceUrl === undefined ? {} : { resourceUrl })
    return Response.json({ ...result, runtime: typeof navigator === 'undefined' ? 'unknown' : navigator.userAgent })
  },
}
