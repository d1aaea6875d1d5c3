/**
 * The few Workers runtime types this package and the facilitator Worker use (`cloudflare:workers` and Durable
 * Object storage), declared here rather than pulling `@cloudflare/workers-types` (whose globals clash with the DOM
 * lib's). Shapes as documented: developers.cloudflare.com/durable-objects/api/.
 */
declare module 'cloudflare:workers' {
  /** A Durable Object class: public methods are its RPC surface (structured-clone arguments and results). */
  export abstract class DurableObject<Env = unknown> {
    protected ctx: import('./workersTypes.ts').DurableObjectState
    protected env: Env
    constructor(ctx: import('./workersTypes.ts').DurableObjectState, env: Env)
  }
}
