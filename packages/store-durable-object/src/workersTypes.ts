/**
 * The Durable Object runtime shapes this package relies on (a subset of `@cloudflare/workers-types`).
 *
 * @see reference/durable-objects.md §1 (the SQL storage API) and §3 (alarms)
 */

/** What `ctx.storage.sql.exec` binds: never a bigint (it throws) nor a boolean (stored as text). */
export type SqlValue = string | number | null | ArrayBuffer

/** A cursor over a statement's rows; read it (`toArray`) before any `await`. */
export type SqlCursor<T> = { toArray(): T[]; one(): T; readonly rowsWritten: number }

/** `ctx.storage.sql`: synchronous, so a read-then-write with no `await` between is atomic in the object. */
export type SqlStorage = {
  exec<T = Record<string, SqlValue>>(query: string, ...bindings: SqlValue[]): SqlCursor<T>
}

export type DurableObjectStorage = {
  readonly sql: SqlStorage
  /** Runs `fn` as one SQLite transaction: rolled back if it throws. */
  transactionSync<T>(fn: () => T): T
  setAlarm(scheduledTime: number | Date): Promise<void>
  getAlarm(): Promise<number | null>
  deleteAlarm(): Promise<void>
}

export type DurableObjectState = {
  readonly storage: DurableObjectStorage
  readonly id: { readonly name?: string; toString(): string }
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>
  /** Resets the object: in-memory state is lost, storage and alarm stay. */
  abort(reason?: string): void
  waitUntil(promise: Promise<unknown>): void
}

/** Every RPC method seen through a stub: its result is a promise. */
export type Stub<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
}

/** A Durable Object namespace binding, as far as a client needs it: a stub by name. */
export type DurableObjectNamespace<T> = { getByName(name: string): Stub<T> }
