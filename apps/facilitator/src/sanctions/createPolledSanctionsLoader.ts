import { parseSanctionsArtifact, type SanctionsList } from '@tollgate/facilitator'
import { judgeNewList, type SanctionsReload } from './createSanctionsLoader.ts'
import type { SanctionsListStore } from './sanctionsListStore.ts'

/** The list of a shared store, as the OFAC provider reads it; see {@link createPolledSanctionsLoader}. */
export type PolledSanctionsLoader = {
  current(): SanctionsList | undefined
  /** Reads the store's list again now (after a local update, on SIGHUP). */
  reload(trigger: 'start' | 'poll' | 'signal' | 'call'): Promise<SanctionsReload>
  close(): void
}

export type CreatePolledSanctionsLoaderOptions = {
  store: SanctionsListStore
  /** How often the list's SHA-256 is compared (one small query). Default `5_000`. */
  pollMs?: number
  /** A reload removing more than this share of the addresses is reported (`massRemoval`). Default `0.2`. */
  removalAlertRatio?: number
  /** Each reload's outcome (logs and metrics); unchanged polls are not reported. */
  onReload?: (result: SanctionsReload, trigger: 'start' | 'poll' | 'signal' | 'call') => void
}

/**
 * The OFAC list kept in a store every node shares (PostgreSQL): loaded now, then the current row's SHA-256 is
 * compared every `pollMs` and a new list swapped in (one reference: a decision under way keeps the list it started
 * with). A malformed list, or one older than the loaded one, is refused and the loaded one kept. With no list in the
 * store, `current()` is `undefined` (the provider then answers `not_loaded`: payments are declined).
 *
 * @example
 * const loader = await createPolledSanctionsLoader({ store, onReload: (result) => logger.info(result) })
 * createOfacProvider({ list: loader.current, now, maxAgeSeconds: 172_800n })
 */
export async function createPolledSanctionsLoader({
  store,
  pollMs = 5_000,
  removalAlertRatio = 0.2,
  onReload,
}: CreatePolledSanctionsLoaderOptions): Promise<PolledSanctionsLoader> {
  let current: SanctionsList | undefined
  let closed = false
  // The last list refused: polls do not report it again until the store holds another.
  let refused: string | undefined
  const load = async (quiet: boolean): Promise<SanctionsReload | undefined> => {
    const sha = await store.sha256()
    if (sha === undefined) return { ok: false, reason: `no list in ${store.where} yet` }
    if (current && sha === current.artifactSha256) return undefined
    if (quiet && sha === refused) return undefined
    const stored = await store.read()
    if (!stored) return { ok: false, reason: `no list in ${store.where} yet` }
    const parsed = parseSanctionsArtifact(stored.text)
    refused = stored.sha256
    if (!parsed.ok) return parsed
    const next = parsed.list
    const previous = current
    const judged = judgeNewList(previous, next, removalAlertRatio)
    if (judged.ok) {
      refused = undefined
      current = next
    }
    return judged
  }
  let loading = Promise.resolve()
  // One load at a time: a poll and a reload never race to swap.
  const reload = (trigger: 'start' | 'poll' | 'signal' | 'call') => {
    const run = loading.then(async (): Promise<SanctionsReload> => {
      let result: SanctionsReload | undefined
      try {
        result = await load(trigger === 'poll')
      } catch (error) {
        result = { ok: false, reason: `cannot read ${store.where} (${(error as Error).message})` }
      }
      if (result === undefined) {
        return { ok: true, changed: false, added: 0, removed: 0, massRemoval: false, list: current as SanctionsList }
      }
      onReload?.(result, trigger)
      return result
    })
    loading = run.then(() => undefined)
    return run
  }
  await reload('start')
  let timer: ReturnType<typeof setTimeout> | undefined
  const poll = () => {
    timer = setTimeout(async () => {
      await reload('poll')
      if (!closed) poll()
    }, pollMs)
    timer.unref()
  }
  poll()
  return {
    current: () => current,
    reload,
    close() {
      closed = true
      clearTimeout(timer)
    },
  }
}
