import { type Hex, sha256, stringToBytes } from 'viem'
import * as z from 'zod'

/** The artifact's format tag; the converter writes it and the loader refuses anything else. */
export const sanctionsArtifactFormat = 'ofac-sdn-evm/1'

const evmAddress = z.string().regex(/^0x[0-9a-f]{40}$/, 'expected a lowercase 0x address')
const day = z.string().regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, 'expected YYYY-MM-DD')
const instant = z.iso.datetime({ offset: true })

/** The artifact the converter builds from OFAC's list (see the facilitator README, "Sanctions screening"). */
export const sanctionsArtifactSchema = z.object({
  format: z.literal(sanctionsArtifactFormat),
  source: z.object({
    publisher: z.string().min(1),
    file: z.string().min(1),
    dateOfIssue: day,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the source SHA-256 in hex'),
    bytes: z.number().int().nonnegative(),
    checkedAt: instant,
  }),
  generator: z.object({ name: z.string(), version: z.string() }),
  counts: z.object({ dcaValues: z.number().int().nonnegative(), evmAddresses: z.number().int().positive() }),
  evm: z
    .array(
      z.object({
        address: evmAddress,
        labels: z.array(z.string()).min(1),
        refs: z.array(z.string()),
        programs: z.array(z.string()),
      }),
    )
    .min(1, 'expected at least one EVM address'),
  other: z.array(z.object({ value: z.string(), labels: z.array(z.string()), refs: z.array(z.string()) })).optional(),
})

export type SanctionsArtifact = z.infer<typeof sanctionsArtifactSchema>

/** A loaded artifact: the EVM addresses as a set (lowercase), and the facts every audit record names. */
export type SanctionsList = {
  readonly addresses: ReadonlyMap<string, { refs: readonly string[] }>
  readonly dateOfIssue: string
  readonly sourceSha256: string
  /** SHA-256 of the artifact file as loaded. */
  readonly artifactSha256: Hex
  /** When the source was last confirmed current, in seconds since the epoch: the list's age counts from it. */
  readonly checkedAt: bigint
  readonly count: number
}

export type ParseSanctionsArtifactResult = { ok: true; list: SanctionsList } | { ok: false; reason: string }

/**
 * Parses and checks an artifact's text: the format tag, the fields, lowercase unique addresses, and the
 * counts agreeing with the entries. A malformed artifact is a reason, never a partial list.
 *
 * @example
 * const parsed = parseSanctionsArtifact(await readFile(path, 'utf8'))
 * if (parsed.ok) holder.swap(parsed.list)
 */
export function parseSanctionsArtifact(text: string): ParseSanctionsArtifactResult {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  const parsed = sanctionsArtifactSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, reason: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` }
  }
  const artifact = parsed.data
  const addresses = new Map<string, { refs: readonly string[] }>()
  for (const entry of artifact.evm) {
    if (addresses.has(entry.address)) return { ok: false, reason: `evm: ${entry.address} is listed twice` }
    addresses.set(entry.address, { refs: entry.refs })
  }
  if (artifact.counts.evmAddresses !== addresses.size) {
    return {
      ok: false,
      reason: `counts.evmAddresses is ${artifact.counts.evmAddresses}, the list has ${addresses.size}`,
    }
  }
  return {
    ok: true,
    list: {
      addresses,
      dateOfIssue: artifact.source.dateOfIssue,
      sourceSha256: artifact.source.sha256,
      artifactSha256: sha256(stringToBytes(text)),
      checkedAt: BigInt(Math.floor(Date.parse(artifact.source.checkedAt) / 1000)),
      count: addresses.size,
    },
  }
}
