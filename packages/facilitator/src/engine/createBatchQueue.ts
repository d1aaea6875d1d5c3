import type { SubmitParameters, SubmitResult } from './settlerTypes.ts'

export type BatchOptions = {
  /** Payments per transaction. `1` turns batching off. */
  maxSize: number
  /** How long the first waiting payment waits for others, in ms. */
  maxWaitMs: number
  /** Called with the number of payments of each settlement transaction about to be built (for metrics). */
  onSend?: (size: number) => void
}

/** Payments waiting to share a transaction; see {@link createBatchQueue}. */
export type BatchQueue = {
  push(parameters: SubmitParameters): Promise<SubmitResult>
  /** Answers what waits as not sent (nothing queued was recorded or signed: the payments stay claimable). */
  close(): void
}

/**
 * Collects payments for at most `maxWaitMs` or until `maxSize` wait, then hands each chunk to `send`
 * (one transaction) and answers every payment with its own result.
 */
export function createBatchQueue(
  { maxSize, maxWaitMs }: BatchOptions,
  send: (chunk: readonly SubmitParameters[]) => Promise<SubmitResult[]>,
): BatchQueue {
  const queue: { parameters: SubmitParameters; resolve: (result: SubmitResult) => void }[] = []
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    while (queue.length > 0) {
      const chunk = queue.splice(0, maxSize)
      void send(chunk.map(({ parameters }) => parameters)).then((results) => {
        chunk.forEach(({ resolve }, i) => {
          resolve(results[i] as SubmitResult)
        })
      })
    }
  }
  return {
    push(parameters) {
      return new Promise<SubmitResult>((resolve) => {
        queue.push({ parameters, resolve })
        if (queue.length >= maxSize) flush()
        else timer ??= setTimeout(flush, maxWaitMs)
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
