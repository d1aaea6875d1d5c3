/**
 * `tollgate-facilitator sanctions update` fetches and swaps in the list (see sanctionsUpdate.ts).
 * `tollgate-facilitator sanctions convert`: builds the screening artifact from OFAC's `SDN_ADVANCED.XML`
 * (streamed) or `sdn.csv` (with `sdn_comments.csv`), written atomically (temporary file, then rename, so a
 * facilitator watching the path never reads half a file).
 */
import { renameSync, writeFileSync } from 'node:fs'
import type { Env } from '../config/options.ts'
import { convertSdnCsv } from '../sanctions/convertSdnCsv.ts'
import { convertSdnXml } from '../sanctions/convertSdnXml.ts'
import { runSanctionsUpdateCommand, sanctionsUpdateHelp } from './sanctionsUpdate.ts'

export const sanctionsHelp = `Usage:
  tollgate-facilitator sanctions update [--config <file>] [--allow-mass-removal]
  tollgate-facilitator sanctions convert --xml SDN_ADVANCED.XML --out ofac-sdn-evm.json
  tollgate-facilitator sanctions convert --csv sdn.csv [--comments sdn_comments.csv] --date-of-issue YYYY-MM-DD --out ofac-sdn-evm.json

Every 0x value under any "Digital Currency Address - <ticker>" feature becomes an EVM address of the artifact
(lowercased, merged across tickers); the artifact records the list's date of issue and the source's SHA-256.
Point TOLLGATE_SANCTIONS_LIST at the output; a running facilitator swaps it in when the file changes.

${sanctionsUpdateHelp}`

export type SanctionsCommandIo = {
  out: (text: string) => void
  err: (text: string) => void
  now?: () => Date
  /** The environment of `sanctions update`. Default: none. */
  env?: Env
}

function flag(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(name)
  if (at !== -1) return args[at + 1]
  return args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1)
}

/** Runs `sanctions update|convert` and answers the exit code: `0` written, `1` the source was refused, `2` usage. */
export async function runSanctionsCommand(
  args: readonly string[],
  { out, err, now, env = {} }: SanctionsCommandIo,
): Promise<number> {
  if (args[0] === 'update') return runSanctionsUpdateCommand(args.slice(1), { env, out, err })
  const xml = flag(args, '--xml')
  const csv = flag(args, '--csv')
  const target = flag(args, '--out')
  if (args[0] !== 'convert' || !target || (xml === undefined) === (csv === undefined)) {
    ;(args.includes('--help') ? out : err)(sanctionsHelp)
    return args.includes('--help') ? 0 : 2
  }
  const checkedAt = now?.() ?? new Date()
  try {
    const artifact = xml
      ? await convertSdnXml(xml, { checkedAt })
      : await convertSdnCsv(csv as string, {
          dateOfIssue: flag(args, '--date-of-issue') ?? '',
          checkedAt,
          ...(flag(args, '--comments') ? { comments: flag(args, '--comments') as string } : {}),
        })
    const temporary = `${target}.${process.pid}.tmp`
    writeFileSync(temporary, `${JSON.stringify(artifact, null, 1)}\n`, { flush: true })
    renameSync(temporary, target)
    out(
      `${JSON.stringify({
        out: target,
        dateOfIssue: artifact.source.dateOfIssue,
        sourceSha256: artifact.source.sha256,
        bytes: artifact.source.bytes,
        addressValues: artifact.counts.dcaValues,
        evmAddresses: artifact.counts.evmAddresses,
      })}\n`,
    )
    return 0
  } catch (error) {
    err(`sanctions convert: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}
