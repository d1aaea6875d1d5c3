import { type CatalogueCaller, catalogueEntry, type ResourceCatalogue } from './catalogue.ts'

export type CatalogueRecorderOptions = {
  catalogue: ResourceCatalogue
  /** Payees (lower-case addresses) never listed. */
  optOut: ReadonlySet<string>
  /** Seconds since the epoch. */
  now: () => bigint
  /** Where a failed write is reported; a failing catalogue never fails a settlement. */
  logError: (error: unknown) => void
  /** Most writes waiting at once; past it a settled payment is simply not catalogued. Default `64`. */
  maxPending?: number
}

/** Records settled payments' resources in the catalogue, off the `/settle` answer path. */
export type CatalogueRecorder = {
  /** Schedules the entry of a settled `/settle` body (see {@link catalogueEntry}); returns at once. */
  settled(body: unknown, caller: CatalogueCaller): void
  /** Resolves once every scheduled write has ended (shutdown, tests). */
  idle(): Promise<void>
}

/**
 * The catalogue's writer: a settled payment's entry is built (a few field reads, nothing run) and
 * written after the answer has gone, at most `maxPending` writes at once, so neither a slow database
 * nor a flood of settlements can hold a seller's `/settle`.
 *
 * @example
 * const recorder = createCatalogueRecorder({ catalogue, optOut: new Set(), now: systemNow, logError: console.error })
 * recorder.settled(body, c.get('caller'))
 */
export function createCatalogueRecorder({
  catalogue,
  optOut,
  now,
  logError,
  maxPending = 64,
}: CatalogueRecorderOptions): CatalogueRecorder {
  const pending = new Set<Promise<void>>()
  return {
    settled(body, caller) {
      if (pending.size >= maxPending) return
      const entry = catalogueEntry(body, caller, now(), optOut)
      if (!entry) return
      const write: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, 0))
        .then(() => catalogue.record(entry))
        .then(
          () => undefined,
          (error: unknown) => logError(error),
        )
        .finally(() => pending.delete(write))
      pending.add(write)
    },
    async idle() {
      while (pending.size > 0) await Promise.all(pending)
    },
  }
}
