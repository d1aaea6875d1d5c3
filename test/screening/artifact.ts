/** Screening artifacts for the tests: written as the converter writes them (temporary file, then rename). Test-only. */
import { renameSync, writeFileSync } from 'node:fs'
import { type SanctionsArtifact, sanctionsArtifactFormat } from '@tollgate/facilitator'
import type { Address } from 'viem'

let written = 0

export type WriteArtifactOptions = {
  dateOfIssue?: string
  /** When the source was last checked; default now. */
  checkedAt?: Date
}

/** The artifact listing `addresses` (any case), with a few filler addresses so a list is never empty. */
export function artifactOf(
  addresses: readonly Address[],
  { dateOfIssue = '2026-12-01', checkedAt = new Date() }: WriteArtifactOptions = {},
): SanctionsArtifact {
  const all = [
    ...new Set([...addresses.map((a) => a.toLowerCase()), `0x${'0'.repeat(39)}1`, `0x${'0'.repeat(39)}2`]),
  ].sort()
  return {
    format: sanctionsArtifactFormat,
    source: {
      publisher: 'OFAC',
      file: 'SDN_ADVANCED.XML',
      dateOfIssue,
      sha256: `${written.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`,
      bytes: 1,
      checkedAt: checkedAt.toISOString(),
    },
    generator: { name: 'test', version: '0' },
    counts: { dcaValues: all.length, evmAddresses: all.length },
    evm: all.map((address, i) => ({ address, labels: ['ETH'], refs: [`${900_000 + i}`], programs: ['CYBER2'] })),
  }
}

/** Replaces the artifact at `path` atomically. */
export function writeArtifact(path: string, artifact: SanctionsArtifact | string): void {
  written++
  const temporary = `${path}.${written}.tmp`
  writeFileSync(temporary, typeof artifact === 'string' ? artifact : JSON.stringify(artifact))
  renameSync(temporary, path)
}
