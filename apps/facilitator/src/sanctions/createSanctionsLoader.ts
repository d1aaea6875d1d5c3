import { type FSWatcher, readFileSync, statSync, watch } from 'node:fs'
import { basename, dirname } from 'node:path'
import { parseSanctionsArtifact, type SanctionsList } from '@tollgate/facilitator'

/** The outcome of one (re)load of the artifact. */
export type SanctionsReload =
  | { ok: true; changed: boolean; added: number; removed: number; massRemoval: boolean; list: SanctionsList }
  | { ok: false; reason: string }

/**
 * Whether `next` may replace `previous` (never a list older than it) and what it changes: addresses added and
 * removed, and whether the removals pass `removalAlertRatio` of the old list.
 */
export function judgeNewList(
  previous: SanctionsList | undefined,
  next: SanctionsList,
  removalAlertRatio: number,
): SanctionsReload {
  if (previous && next.dateOfIssue < previous.dateOfIssue) {
    return { ok: false, reason: `older list (${next.dateOfIssue}) than the loaded one (${previous.dateOfIssue})` }
  }
  let removed = 0
  let added = 0
  if (previous) {
    for (const address of previous.addresses.keys()) if (!next.addresses.has(address)) removed++
    for (const address of next.addresses.keys()) if (!previous.addresses.has(address)) added++
  } else added = next.count
  const massRemoval = previous !== undefined && removed > previous.count * removalAlertRatio
  return { ok: true, changed: true, added, removed, massRemoval, list: next }
}

/** The sanctions list the OFAC provider reads: the current one, swapped atomically on reload. */
export type SanctionsLoader = {
  current(): SanctionsList | undefined
  /** Reads the file again; a malformed artifact (or an older list) is refused and the current one kept. */
  reload(): SanctionsReload
  close(): void
}

export type CreateSanctionsLoaderOptions = {
  path: string
  /** A reload removing more than this share of the addresses is reported (`massRemoval`). Default `0.2`. */
  removalAlertRatio?: number
  /** Watch the file's folder and reload when the file is replaced. Default `true`. */
  watchFile?: boolean
  /** Also compare the file's size and mtime this often (where file events are not delivered, e.g. NFS). Default `60_000`. */
  pollMs?: number
  /** Each reload's outcome (logs and metrics). */
  onReload?: (result: SanctionsReload, trigger: 'start' | 'watch' | 'signal' | 'call') => void
}

/**
 * Loads the screening artifact at start (a missing or malformed one fails the start: the service never
 * screens against nothing) and swaps in a new one without restarting: when the file changes (its folder is
 * watched, so an atomic rename is seen) or when `reload()` is called (the service calls it on SIGHUP). The
 * swap is one reference: a decision under way keeps the list it started with.
 *
 * @example
 * const loader = createSanctionsLoader({ path: 'ofac-sdn-evm.json', onReload: (r) => logger.info(r) })
 * createOfacProvider({ list: loader.current, now, maxAgeSeconds: 172_800n })
 */
export function createSanctionsLoader({
  path,
  removalAlertRatio = 0.2,
  watchFile = true,
  pollMs = 60_000,
  onReload,
}: CreateSanctionsLoaderOptions): SanctionsLoader & {
  reloadFrom(trigger: 'watch' | 'signal' | 'call'): SanctionsReload
} {
  let current: SanctionsList | undefined
  const load = (): SanctionsReload => {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      return { ok: false, reason: `cannot read the artifact (${(error as NodeJS.ErrnoException).code ?? 'error'})` }
    }
    const parsed = parseSanctionsArtifact(text)
    if (!parsed.ok) return parsed
    const next = parsed.list
    const previous = current
    if (previous && next.artifactSha256 === previous.artifactSha256) {
      return { ok: true, changed: false, added: 0, removed: 0, massRemoval: false, list: previous }
    }
    const judged = judgeNewList(previous, next, removalAlertRatio)
    if (judged.ok) current = next
    return judged
  }
  const reloadFrom = (trigger: 'start' | 'watch' | 'signal' | 'call') => {
    const result = load()
    onReload?.(result, trigger)
    return result
  }
  const first = reloadFrom('start')
  if (!first.ok) throw new Error(`Invalid configuration: TOLLGATE_SANCTIONS_LIST: ${first.reason}`)
  let watcher: FSWatcher | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let poller: ReturnType<typeof setInterval> | undefined
  const stamp = () => {
    try {
      const { size, mtimeMs, ino } = statSync(path)
      return `${size}:${mtimeMs}:${ino}`
    } catch {
      return 'missing'
    }
  }
  let seen = stamp()
  if (watchFile) {
    poller = setInterval(() => {
      const now = stamp()
      if (now === seen) return
      seen = now
      reloadFrom('watch')
    }, pollMs)
    poller.unref()
    const name = basename(path)
    // The folder, not the file: a new artifact renamed over the old one is a new inode.
    watcher = watch(dirname(path), (_, file) => {
      if (file !== null && file !== name) return
      clearTimeout(timer)
      timer = setTimeout(() => {
        seen = stamp()
        reloadFrom('watch')
      }, 50)
    })
    watcher.on('error', () => undefined)
  }
  return {
    current: () => current,
    reload: () => reloadFrom('call'),
    reloadFrom,
    close() {
      clearTimeout(timer)
      clearInterval(poller)
      watcher?.close()
    },
  }
}
