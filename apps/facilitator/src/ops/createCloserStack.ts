/** One closer: what undoes one thing a start opened (a store, a server, a timer). */
export type Closer = () => unknown

/** The closers of one start; see {@link createCloserStack}. */
export type CloserStack = {
  /** Adds the closer of something just opened. Closers run last added first. */
  defer(close: Closer): void
  /**
   * Runs every closer once, last added first; a closer that fails does not keep the others from
   * running, and the first failure is thrown once all have run. Calls after the first share its run.
   */
  unwind(): Promise<void>
}

/**
 * The one stack of closers of a start: each resource is deferred as soon as it is opened, and the
 * stack is unwound in reverse, on a start that fails part way as on stop. What a caller passed in
 * is never deferred, so it is never closed here.
 *
 * @example
 * const closers = createCloserStack()
 * const store = createSqliteStore({ dataDir })
 * closers.defer(() => store.close())
 * await closers.unwind()
 */
export function createCloserStack(): CloserStack {
  const closers: Closer[] = []
  let unwinding: Promise<void> | undefined
  return {
    defer(close) {
      closers.push(close)
    },
    unwind() {
      unwinding ??= (async () => {
        const failures: unknown[] = []
        for (let close = closers.pop(); close; close = closers.pop()) {
          try {
            await close()
          } catch (error) {
            failures.push(error)
          }
        }
        if (failures.length > 0) throw failures[0]
      })()
      return unwinding
    },
  }
}

/** Runs `start` with a new stack; when it throws, unwinds what it had opened, then rethrows. */
export async function startWithClosers<T>(start: (closers: CloserStack) => Promise<T>): Promise<T> {
  const closers = createCloserStack()
  try {
    return await start(closers)
  } catch (error) {
    await closers.unwind().catch(() => undefined)
    throw error
  }
}
