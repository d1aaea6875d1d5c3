/**
 * packages/* run on Node, Workers and browsers: Web APIs only. Biome's override enforces this in
 * `npm run check`; this test enforces it under `vitest` too, including in tests' absence of a lint step.
 * The Node-only store adapters are the exception.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')
const nodeOnly = new Set(['store-sqlite', 'store-postgres'])

const banned = [
  { pattern: /(?:from\s+|import\s*\(\s*|require\(\s*)['"]node:/, what: 'a node:* import' },
  { pattern: /\bBuffer\b/, what: 'Buffer' },
  { pattern: /\bprocess\s*\.\s*(?:env|exit|argv|on|cwd|platform|nextTick|hrtime|versions)\b/, what: 'process' },
  { pattern: /\bglobalThis\s*\.\s*process\b/, what: 'process' },
]

test('default: packages/ use Web APIs only', () => {
  const packages = readdirSync(join(root, 'packages')).filter((name) => !nodeOnly.has(name))
  const offences: string[] = []
  let checked = 0
  for (const name of packages) {
    const dir = join(root, 'packages', name, 'src')
    let files: string[]
    try {
      files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    } catch {
      continue
    }
    for (const file of files.filter((f) => f.endsWith('.ts') && !/\.test(-d)?\.ts$/.test(f))) {
      if (file.split(sep).includes('node_modules')) continue
      checked++
      const text = readFileSync(join(dir, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')
      for (const { pattern, what } of banned) {
        if (pattern.test(text)) offences.push(`${relative(root, join(dir, file))}: ${what}`)
      }
    }
  }
  expect(checked).toBeGreaterThan(0)
  expect(offences).toEqual([])
})
