/**
 * A Worker that runs one case of the Store conformance suite inside workerd against the Durable Object Store:
 * `GET /?case=<index>`, each case on a fresh set of objects (a new name prefix). 200 `ok`, or 500 with the failure.
 */
import { storeConformance } from '@tollgate/facilitator/testing'
import { createDurableObjectStore, type DurableObjectNamespace, StoreObject } from '@tollgate/store-durable-object'

export { StoreObject }

type Env = { STORE: DurableObjectNamespace<StoreObject> }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const index = Number(new URL(request.url).searchParams.get('case'))
    const cases = storeConformance(() =>
      createDurableObjectStore({ namespace: env.STORE, prefix: `${crypto.randomUUID()}/` }),
    )
    const found = cases[index]
    if (!found) return new Response(`no case ${index}`, { status: 404 })
    try {
      await found.run()
      return new Response('ok')
    } catch (error) {
      return new Response(error instanceof Error ? `${error.message}\n${error.stack}` : String(error), { status: 500 })
    }
  },
}
