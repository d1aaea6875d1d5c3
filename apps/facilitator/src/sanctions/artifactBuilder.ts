import type { SanctionsArtifact } from '@tollgate/facilitator'

/**
 * `sanctionsArtifactFormat` of `@tollgate/facilitator`, spelled here so the converter loads neither viem nor the
 * facilitator (its peak memory stays the runtime's own); `test/screening/convert.test.ts` parses the output with
 * the facilitator's own parser, so the two cannot drift apart unnoticed.
 */
const sanctionsArtifactFormat = 'ofac-sdn-evm/1' satisfies SanctionsArtifact['format']

/** What a converter collects from a source file, before the artifact is written. */
export type ArtifactBuilder = {
  /** One `Digital Currency Address - <label>` value of the entity `ref`. */
  add(value: string, label: string, ref: string): void
  /** The programs of the entity `ref` (OFAC program tags such as `CYBER2`). */
  programs(ref: string, programs: readonly string[]): void
  /** How many address values were seen, EVM or not. */
  readonly count: number
  /** The artifact; throws when the source held no EVM address (never an empty list). */
  build(source: SanctionsArtifact['source']): SanctionsArtifact
}

const evm = /^0x[0-9a-fA-F]{40}$/
const maxValues = 1_000_000

/**
 * Collects address values into the artifact: every `0x` value of 40 hex digits, under any label, lowercased
 * and merged by address (labels and entity refs unioned); other values (TRON, Bitcoin…) kept as they are.
 */
export function createArtifactBuilder(generatorVersion: string): ArtifactBuilder {
  const addresses = new Map<string, { labels: Set<string>; refs: Set<string> }>()
  const others = new Map<string, { labels: Set<string>; refs: Set<string> }>()
  const programsOf = new Map<string, Set<string>>()
  let count = 0
  const sorted = (values: Iterable<string>) => [...values].sort()
  return {
    add(value, label, ref) {
      count++
      // Hostile input: the real list has under 2,000 address values.
      if (count > maxValues) throw new Error(`more than ${maxValues} digital currency address values`)
      const isEvm = evm.test(value)
      const key = isEvm ? value.toLowerCase() : value
      const map = isEvm ? addresses : others
      let entry = map.get(key)
      if (!entry) {
        entry = { labels: new Set(), refs: new Set() }
        map.set(key, entry)
      }
      entry.labels.add(label)
      entry.refs.add(ref)
    },
    programs(ref, programs) {
      let set = programsOf.get(ref)
      if (!set) {
        set = new Set()
        programsOf.set(ref, set)
      }
      for (const program of programs) if (program) set.add(program)
    },
    get count() {
      return count
    },
    build(source) {
      if (count === 0) throw new Error('the source has no digital currency address at all')
      if (addresses.size === 0) throw new Error('the source has digital currency addresses but no EVM (0x) address')
      return {
        format: sanctionsArtifactFormat,
        source,
        generator: { name: 'tollgate-facilitator sanctions convert', version: generatorVersion },
        counts: { dcaValues: count, evmAddresses: addresses.size },
        evm: sorted(addresses.keys()).map((address) => {
          const { labels, refs } = addresses.get(address) as { labels: Set<string>; refs: Set<string> }
          const programs = new Set<string>()
          for (const ref of refs) for (const program of programsOf.get(ref) ?? []) programs.add(program)
          return { address, labels: sorted(labels), refs: sorted(refs), programs: sorted(programs) }
        }),
        other: sorted(others.keys()).map((value) => {
          const { labels, refs } = others.get(value) as { labels: Set<string>; refs: Set<string> }
          return { value, labels: sorted(labels), refs: sorted(refs) }
        }),
      }
    },
  }
}
