import type { SubmitParameters, SubmitResult } from './settlerTypes.ts'

export type BatchOptions = {
  /** Payments per transaction. `1` turns batching off. */
  maxSize: number
  /** How long the first waiting payment waits for others, in ms. */
  maxWaitMs: number
  /**
   * Which payments wait for a batch: `'all'` (every EOA payment) or `'needed'` (only those submitted
   * with `batched: true`: too small to pay for a transaction alone). Default `'all'`.
   */
  when?: 'all' | 'needed'
  /**
   * Whether the payments waiting pay for their transaction. When it answers `false` at the end of
   * the window, they wait another window for more, up to `maxHoldMs` in all, then go anyway.
   * Default: always.
   */
  covers?: (chunk: readonly SubmitParameters[]) => Promise<boolean>
  /** The longest a payment waits for a batch that pays for itself, in ms. Default `maxWaitMs`. */
  maxHoldMs?: number
  /** Called with the number of payments of each settlement transaction about to be built (for metrics). */
  onSend?: (size: number) => void
  /** Called with each batch the queue handed on and what sending it answered (the gas policy's accounting). */
  onFlush?: (chunk: readonly SubmitParameters[], results: readonly SubmitResult[]) => void
  /** Called with each payment as it joins the queue. */
  onQueued?: (parameters: SubmitParameters) => void
  /**
   * How many payments accepted for a batch (verified, their handler running) have not joined the
   * queue yet: with `covers`, a batch that does not pay for itself waits for them, up to `maxHoldMs`
   * and then, while some are still expected, up to `maxExpectMs` more. Default: none.
   */
  expecting?: () => number
  /** How much longer than `maxHoldMs` a batch waits for expected payments, in ms. Default `maxHoldMs`. */
  maxExpectMs?: number
}

/** Payments waiting to share a transaction; see {@link createBatchQueue}. */
export type BatchQueue = {
  push(parameters: SubmitParameters): Promise<SubmitResult>
  /** Answers what waits as not sent (nothing queued was recorded or signed: the payments stay claimable). */
  close(): void
}

/**
 * Collects payments for at most `maxWaitMs` or until `maxSize` wait, then hands each chunk to `send`
 * (one transaction) and answers every payment with its own result. With `covers`, a batch waits
 * on while payments keep arriving, while payments it was told to expect have not come, or while it
 * does not pay for itself, up to `maxHoldMs`.
 */
export function createBatchQueue(
  {
    maxSize,
    maxWaitMs,
    covers,
    maxHoldMs = maxWaitMs,
    onFlush,
    onQueued,
    expecting,
    maxExpectMs = maxHoldMs,
  }: BatchOptions,
  send: (chunk: readonly SubmitParameters[]) => Promise<SubmitResult[]>,
): BatchQueue {
  const queue: { parameters: SubmitParameters; resolve: (result: SubmitResult) => void; at: number }[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (queue.length > 0) {
      const chunk = queue.splice(0, maxSize)
      const payments = chunk.map(({ parameters }) => parameters)
      void send(payments).then((results) => {
        chunk.forEach(({ resolve }, i) => {
          resolve(results[i] as SubmitResult)
        })
        onFlush?.(payments, results)
      })
    }
  }
  let lastAt = 0
  // Sized by load: while payments keep arriving (one in the last `quietMs`) or are expected, or the
  // batch does not pay for itself, it waits on, never past `maxHoldMs` from its oldest payment.
  const quietMs = Math.min(100, maxWaitMs)
  const due = async () => {
    timer = undefined
    const oldest = queue[0]
    const expected = (expecting?.() ?? 0) > 0
    // The bound: maxHoldMs from the oldest payment, longer while payments verified for it are coming.
    const limit = expected ? maxHoldMs + maxExpectMs : maxHoldMs
    if (covers && oldest && queue.length < maxSize && Date.now() - oldest.at < limit) {
      const arriving = Date.now() - lastAt < quietMs || expected
      const worth =
        !arriving && (await covers(queue.slice(0, maxSize).map(({ parameters }) => parameters)).catch(() => true))
      if (!worth && queue.length < maxSize) {
        timer ??= setTimeout(() => void due(), Math.min(quietMs, Math.max(0, oldest.at + limit - Date.now())))
        return
      }
    }
    flush()
  }
  return {
    push(parameters) {
      return new Promise<SubmitResult>((resolve) => {
        lastAt = Date.now()
        queue.push({ parameters, resolve, at: lastAt })
        onQueued?.(parameters)
        if (queue.length >= maxSize) flush()
        else timer ??= setTimeout(() => void due(), maxWaitMs)
      })
    },
    close() {
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      for (const { resolve } of queue.splice(0)) {
        resolve({ ok: false, code: 'unexpected_settle_error', message: 'The settlement engine is closing.' })
      }
    },
  }
}
