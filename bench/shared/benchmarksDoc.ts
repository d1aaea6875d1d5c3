/** docs/benchmarks.md, written by the benchmarks' `--write`. */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const file = join(import.meta.dirname, '../../docs/benchmarks.md')

/**
 * Replaces the section that starts with `heading` (a `## …` line, matched by its start) with
 * `section`, up to the next `## ` heading; appends it when there is none.
 */
export function writeSection(heading: string, section: string): void {
  const text = readFileSync(file, 'utf8')
  const start = text.indexOf(`\n${heading}`)
  let next: string
  if (start < 0) {
    next = `${text.trimEnd()}\n\n${section}`
  } else {
    const after = text.indexOf('\n## ', start + 1)
    next = `${text.slice(0, start + 1)}${section}${after < 0 ? '' : text.slice(after)}`
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`)
}
