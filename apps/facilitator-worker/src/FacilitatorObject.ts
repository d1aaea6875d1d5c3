import { DurableObject } from 'cloudflare:workers'
import type { DurableObjectNamespace, DurableObjectState, StoreObject } from '@tollgate/store-durable-object'
import { type BuiltFacilitator, buildFacilitator } from './buildFacilitator.ts'
import { parseWorkerConfig, type WorkerEnv } from './workerConfig.ts'

export type FacilitatorObjectEnv = WorkerEnv & { STORE: DurableObjectNamespace<StoreObject> }

const unavailable = (message: string) =>
  Response.json({ error: 'facilitator_unavailable', message }, { status: 503, headers: { 'retry-after': '5' } })

/**
 * The facilitator of one deployment, in a Durable Object: it owns the settlement signer (its nonces, in memory,
 * and the lease that fences its journal in the signer's own object), serves the service's HTTP app, and keeps the
 * keeper and the reconciler going with alarms. Every durable fact lives in the Store's objects, so an eviction or a
 * reset loses nothing: the next request or alarm builds it again, adopts the journaled transactions and reconciles.
 */
export class FacilitatorObject extends DurableObject<FacilitatorObjectEnv> {
  #built: Promise<BuiltFacilitator> | undefined
  #intervalMs = 5_000

  constructor(ctx: DurableObjectState, env: FacilitatorObjectEnv) {
    super(ctx, env)
  }

  /** Built once per instance: the facilitator, then the takeover of what an earlier instance left unmined. */
  #build(): Promise<BuiltFacilitator> {
    if (!this.#built) {
      const parsed = parseWorkerConfig(this.env)
      if (!parsed.ok) return Promise.reject(new Error(parsed.message))
      this.#intervalMs = parsed.config.reconcileIntervalMs
      const owner = `facilitator/${this.ctx.id.name ?? this.ctx.id.toString()}`
      this.#built = buildFacilitator({ store: this.env.STORE, owner }, parsed.config).then(async (built) => {
        await built.recovery.start()
        return built
      })
      this.#built.catch(() => {
        this.#built = undefined
      })
    }
    return this.#built
  }

  /** Arms the alarm (when none is armed): it will run the reconciler while work is open. */
  async #arm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + this.#intervalMs)
  }

  async fetch(request: Request): Promise<Response> {
    let built: BuiltFacilitator
    try {
      built = await this.#build()
    } catch (error) {
      console.error(`facilitator not configured: ${error instanceof Error ? error.message : 'unknown'}`)
      return unavailable('The facilitator is not configured or cannot start; try again later.')
    }
    // Armed before the work starts: if this instance dies mid-settlement, the alarm (kept in storage) finishes it.
    if (request.method === 'POST') await this.#arm()
    return built.app.fetch(request)
  }

  /**
   * The keeper and the reconciler's tick: wakes (or rebuilds) the facilitator, which re-sends and replaces its
   * journaled transactions, runs one reconciler pass, and comes back while anything is still open.
   */
  async alarm(): Promise<void> {
    const { facilitator, recovery } = await this.#build()
    await recovery.run()
    const { settling, unmined } = facilitator.inProgress()
    const open = await facilitator.store.list({ states: ['settling', 'submitted'], limit: 1 })
    // Set late: an earlier setAlarm in a handler that throws would replace the runtime's retries.
    if (settling + unmined > 0 || open.length > 0) await this.ctx.storage.setAlarm(Date.now() + this.#intervalMs)
  }
}
