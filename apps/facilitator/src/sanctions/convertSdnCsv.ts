import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import type { SanctionsArtifact } from '@tollgate/facilitator'
import { createArtifactBuilder } from './artifactBuilder.ts'

/** Rows of a CSV file (RFC 4180 quoting: `"a ""b"" c"`, newlines inside quotes), streamed; also hashes the bytes. */
async function* csvRows(path: string, hash: ReturnType<typeof createHash>, size: { bytes: number }) {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let field = ''
  let row: string[] = []
  let quoted = false
  let afterQuote = false
  const stream = createReadStream(path, { highWaterMark: 1 << 20 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size.bytes += chunk.length
    hash.update(chunk)
    const text = decoder.decode(chunk, { stream: true })
    const rows: string[][] = []
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string
      if (quoted) {
        if (c === '"') {
          quoted = false
          afterQuote = true
        } else field += c
        continue
      }
      if (c === '"') {
        if (afterQuote) field += '"' // an escaped quote ("")
        quoted = true
        afterQuote = false
        continue
      }
      afterQuote = false
      if (c === ',') {
        row.push(field)
        field = ''
      } else if (c === '\n') {
        row.push(field.endsWith('\r') ? field.slice(0, -1) : field)
        field = ''
        rows.push(row)
        row = []
      } else field += c
    }
    yield* rows
  }
  if (quoted) throw new Error(`${basename(path)}: the file ends inside a quoted field (truncated?)`)
  const tail = field.replace(/\r$/, '')
  if (tail !== '' || row.length > 0) yield [...row, tail]
}

const addressPattern = /Digital Currency Address - ([A-Za-z0-9]+)[\s:]+([^\s;,]+)/g
const nullValue = '-0-'

/**
 * Converts OFAC's delimited `sdn.csv` (no header; 12 columns `ent_num, SDN_Name, SDN_Type, Program, Title,
 * Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`; `-0-` is null) into the screening
 * artifact: every `Digital Currency Address - <label> <value>` in the remarks, and in `sdn_comments.csv`
 * (`ent_num, Remarks_Extended`, where long remarks overflow) when given. The CSV has no issue date, so it
 * is a parameter. Throws when a row does not have 12 columns, or on no EVM address.
 *
 * @example
 * const artifact = await convertSdnCsv('sdn.csv', { dateOfIssue: '2025-11-19', comments: 'sdn_comments.csv' })
 */
export async function convertSdnCsv(
  path: string,
  {
    dateOfIssue,
    comments,
    checkedAt = new Date(),
    version = '0.1.0',
  }: { dateOfIssue: string; comments?: string; checkedAt?: Date; version?: string },
): Promise<SanctionsArtifact> {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(dateOfIssue)) throw new Error('dateOfIssue: expected YYYY-MM-DD')
  const builder = createArtifactBuilder(version)
  const hash = createHash('sha256')
  const size = { bytes: 0 }
  const scan = (ref: string, remarks: string) => {
    for (const [, label, value] of remarks.matchAll(addressPattern)) builder.add(value as string, label as string, ref)
  }
  let line = 0
  for await (const row of csvRows(path, hash, size)) {
    line++
    if (row.length === 1 && row[0]?.trim() === '') continue
    // The last line of OFAC's files is a lone end-of-file mark (0x1A) on some downloads.
    if (row.length === 1 && row[0]?.trim() === '\u001a') continue
    if (row.length !== 12) throw new Error(`${basename(path)} line ${line}: expected 12 columns, found ${row.length}`)
    const ref = (row[0] as string).trim()
    const program = (row[3] as string).trim()
    if (program !== nullValue && program !== '') {
      builder.programs(
        ref,
        program
          .replace(/^\[|\]$/g, '')
          .split(/\]\s*\[/)
          .map((p) => p.trim()),
      )
    }
    const remarks = row[11] as string
    if (remarks !== nullValue) scan(ref, remarks)
  }
  if (comments) {
    const commentHash = createHash('sha256')
    for await (const row of csvRows(comments, commentHash, { bytes: 0 })) {
      if (row.length < 2) continue
      scan((row[0] as string).trim(), row.slice(1).join(','))
    }
  }
  return builder.build({
    publisher: 'OFAC',
    file: basename(path),
    dateOfIssue,
    sha256: hash.digest('hex'),
    bytes: size.bytes,
    checkedAt: checkedAt.toISOString(),
  })
}
