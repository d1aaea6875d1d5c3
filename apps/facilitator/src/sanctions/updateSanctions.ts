import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AuditLog, parseSanctionsArtifact, type SanctionsList } from '@tollgate/facilitator'
import { convertSdnXml } from './convertSdnXml.ts'
import { type FetchSdnListFailure, fetchSdnList, shownUrl } from './fetchSdnList.ts'
import type { SanctionsListStore } from './sanctionsListStore.ts'

/** Why an update was not applied. */
export type SanctionsUpdateCode = FetchSdnListFailure['code'] | 'malformed' | 'older' | 'mass_removal' | 'conflict'

/** What an update saw, for logs, answers and the audit trail (hashes, dates and counts; never a list entry). */
export type SanctionsUpdateFacts = {
  /** Origin and path of the source. */
  url: string
  /** The downloaded file. */
  source?: { sha256: string; bytes: number; dateOfIssue?: string }
  /** The list the update would have loaded (or loaded). */
  list?: { dateOfIssue: string; artifactSha256: string; addresses: number; added: number; removed: number }
  /** The list in place before. */
  previous?: { dateOfIssue: string; sourceSha256: string; artifactSha256: string; addresses: number }
  /** Where a candidate held for review was written. */
  held?: string
}

/**
 * One update's outcome: `applied` (a new list is in place), `unchanged` (the same source as the current list: only
 * its `checkedAt` moved, so its age starts again), `refused` (the current list is kept) or `held` (a mass removal:
 * the candidate is kept for review, the current list stays).
 */
export type SanctionsUpdate =
  | ({ ok: true; result: 'applied' | 'unchanged' } & SanctionsUpdateFacts)
  | ({ ok: false; result: 'refused' | 'held'; code: SanctionsUpdateCode; reason: string } & SanctionsUpdateFacts)

export type UpdateSanctionsDeps = {
  store: SanctionsListStore
  /** Where each update is recorded (the screening audit trail), when given. */
  audit?: AuditLog | undefined
  now: () => Date
  /** Default: the global `fetch`. */
  fetch?: typeof fetch
}

export type UpdateSanctionsParameters = {
  url: string
  timeoutMs: number
  maxBytes: number
  minBytes: number
  redirectHosts: readonly string[]
  /** An update removing more than this share of the current list's addresses is held, not applied. */
  removalRatio: number
  /** The operator reviewed the removal: apply it. Default `false`. */
  allowMassRemoval?: boolean
  /** What started it (recorded). */
  trigger: 'command' | 'schedule' | 'start'
}

const previousOf = (list: SanctionsList) => ({
  dateOfIssue: list.dateOfIssue,
  sourceSha256: list.sourceSha256,
  artifactSha256: list.artifactSha256,
  addresses: list.count,
})

/**
 * Fetches OFAC's `SDN_ADVANCED.XML` ({@link fetchSdnList}: timeout, size cap, redirects checked), and when its
 * SHA-256 is the current list's source, only confirms the current list (`checkedAt` now); otherwise converts it with
 * the streaming converter (a truncated or malformed document is refused), refuses a list older than the current
 * one, holds one that removes more than `removalRatio` of the addresses, and replaces the current list atomically
 * (a compare-and-set on its hash: a concurrent update on another node is not overwritten). Each outcome, applied
 * or not, is appended to the audit trail with the hashes and dates.
 *
 * @example
 * const update = await updateSanctions({ store, audit, now: () => new Date() }, { url, timeoutMs: 300_000, maxBytes: 4e8, minBytes: 1e6, redirectHosts: [], removalRatio: 0.2, trigger: 'command' })
 */
export async function updateSanctions(
  { store, audit, now, fetch: fetchImpl }: UpdateSanctionsDeps,
  {
    url,
    timeoutMs,
    maxBytes,
    minBytes,
    redirectHosts,
    removalRatio,
    allowMassRemoval = false,
    trigger,
  }: UpdateSanctionsParameters,
): Promise<SanctionsUpdate> {
  const update = await attempt()
  if (audit) {
    const { ok: _ok, ...recorded } = update
    await audit.append({ event: 'sanctions_update', at: now().toISOString(), trigger, where: store.where, ...recorded })
  }
  return update

  async function attempt(): Promise<SanctionsUpdate> {
    const facts: SanctionsUpdateFacts = { url: shownUrl(url) }
    const refuse = (code: SanctionsUpdateCode, reason: string): SanctionsUpdate => ({
      ok: false,
      result: 'refused',
      code,
      reason,
      ...facts,
    })
    const stored = await store.read()
    const parsedCurrent = stored ? parseSanctionsArtifact(stored.text) : undefined
    const current = parsedCurrent?.ok ? parsedCurrent.list : undefined
    if (current) facts.previous = previousOf(current)
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-sdn-'))
    try {
      const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '').replace(/[^A-Za-z0-9._-]/g, '')
      const fetched = await fetchSdnList({
        url,
        path: join(dir, name || 'SDN_ADVANCED.XML'),
        timeoutMs,
        maxBytes,
        minBytes,
        redirectHosts,
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
      })
      if (!fetched.ok) return refuse(fetched.code, fetched.reason)
      facts.url = fetched.url
      facts.source = { sha256: fetched.sha256, bytes: fetched.bytes }
      const checkedAt = now()

      // The same file as the current list's source: nothing to convert, the list is confirmed current.
      if (stored && current && current.sourceSha256 === fetched.sha256) {
        const artifact = JSON.parse(stored.text) as { source: { checkedAt: string } }
        artifact.source.checkedAt = checkedAt.toISOString()
        const text = `${JSON.stringify(artifact, null, 1)}\n`
        facts.source.dateOfIssue = current.dateOfIssue
        return await replace(text, stored.sha256, 'unchanged', current)
      }

      let text: string
      try {
        const artifact = await convertSdnXml(fetched.path, { checkedAt })
        text = `${JSON.stringify({ ...artifact, source: { ...artifact.source, url: fetched.url } }, null, 1)}\n`
      } catch (error) {
        return refuse('malformed', `the list is not a complete SDN_ADVANCED.XML: ${(error as Error).message}`)
      }
      const parsed = parseSanctionsArtifact(text)
      if (!parsed.ok) return refuse('malformed', `the converted list does not load: ${parsed.reason}`)
      const next = parsed.list
      facts.source.dateOfIssue = next.dateOfIssue
      let removed = 0
      for (const address of current?.addresses.keys() ?? []) if (!next.addresses.has(address)) removed++
      let added = 0
      for (const address of next.addresses.keys()) if (!current?.addresses.has(address)) added++
      facts.list = {
        dateOfIssue: next.dateOfIssue,
        artifactSha256: next.artifactSha256,
        addresses: next.count,
        added,
        removed,
      }
      if (current && next.dateOfIssue < current.dateOfIssue) {
        return refuse('older', `the list of ${next.dateOfIssue} is older than the current one (${current.dateOfIssue})`)
      }
      if (current && !allowMassRemoval && removed > current.count * removalRatio) {
        facts.held = await store.hold(text)
        return {
          ok: false,
          result: 'held',
          code: 'mass_removal',
          reason: `the list removes ${removed} of ${current.count} addresses (more than ${removalRatio} of them): held for review in ${facts.held}; after review, apply it with sanctions update --allow-mass-removal`,
          ...facts,
        }
      }
      return await replace(text, stored?.sha256, 'applied', current)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }

    async function replace(
      text: string,
      expected: SanctionsList['artifactSha256'] | undefined,
      result: 'applied' | 'unchanged',
      before: SanctionsList | undefined,
    ): Promise<SanctionsUpdate> {
      if (await store.replace(text, { expected })) return { ok: true, result, ...facts }
      // Another node (or process) replaced the list meanwhile: the same source is as good as done.
      const latest = await store.read()
      const theirs = latest ? parseSanctionsArtifact(latest.text) : undefined
      if (theirs?.ok && theirs.list.sourceSha256 === facts.source?.sha256) {
        return { ok: true, result: 'unchanged', ...facts }
      }
      return refuse(
        'conflict',
        `the list changed while this update ran (it started from ${before?.artifactSha256 ?? 'no list'}); the next update checks again`,
      )
    }
  }
}
