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

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.FACILITATOR.getByName('main').fetch(request)
  },
}
