/**
 * The Tollgate facilitator as a Cloudflare Worker. The stateless front passes each request to the deployment's
 * facilitator object (`FACILITATOR`, named `main`); the ledger, the signer's lease and journal, the receipts and the
 * audit trail live in the Store's objects (`STORE`). Configure with wrangler.toml vars and secrets (see
 * `workerConfig.ts`); docs/guides/facilitator-workers.md walks through it.
 */
import type { DurableObjectNamespace } from '@tollgate/store-durable-object'
import type { FacilitatorObject, FacilitatorObjectEnv } from './FacilitatorObject.ts'

export { StoreObject } from '@tollgate/store-durable-object'
export { FacilitatorObject } from './FacilitatorObject.ts'

export type Env = FacilitatorObjectEnv & {
  FACILITATOR: DurableObjectNamespace<FacilitatorObject> & {
    getByName(name: string): { fetch(request: Request): Promise<Response> }
  }
}

/**
 * The answer when the facilitator object could not answer (reset mid-request, overloaded, unreachable): our overload,
 * retryable, never a bare 5xx. A settlement it had accepted is finished by its alarm; the caller's retry of the same
 * payment gets that one settlement.
 */
const unavailable = () =>
  Response.json(
    { error: 'facilitator_unavailable', message: 'The facilitator is restarting or busy; retry shortly.' },
    { status: 503, headers: { 'retry-after': '2' } },
  )

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    try {
      return await env.FACILITATOR.getByName('main').fetch(request)
    } catch (error) {
      console.error(`facilitator object failed: ${error instanceof Error ? error.name : 'unknown'}`)
      return unavailable()
    }
  },
}
