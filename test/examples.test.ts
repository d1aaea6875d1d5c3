/**
 * The JSDoc examples of the published packages import only what exists: every name an `@example`
 * imports from a `@tollgate/*` entry is exported by that entry, and every name it imports from a
 * relative path is exported by that file. (An example that names a missing export teaches a reader
 * code that does not compile.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')
const packagesDir = join(root, 'packages')

/** `@tollgate/<name>[/<sub>]` -> its source file, from each package's `exports` (`@tollgate/source`). */
function entries(): Map<string, string> {
  const found = new Map<string, string>()
  for (const name of readdirSync(packagesDir)) {
    const dir = join(packagesDir, name)
    if (!statSync(dir).isDirectory()) continue
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string
      exports: Record<string, string | Record<string, string>>
    }
    for (const [path, target] of Object.entries(manifest.exports)) {
      const source = typeof target === 'object' ? target['@tollgate/source'] : undefined
      if (source) found.set(join(manifest.name, path), resolve(dir, source))
    }
  }
  return found
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      return ['node_modules', 'dist', 'test'].includes(name) ? [] : sources(path)
    }
    return /\.ts$/.test(name) && !/\.test(-d)?\.ts$/.test(name) ? [path] : []
  })
}

/** The `import { … } from '…'` statements inside a file's JSDoc `@example` blocks. */
function exampleImports(text: string): { names: string[]; from: string }[] {
  const found: { names: string[]; from: string }[] = []
  for (const block of text.match(/\/\*\*[\s\S]*?\*\//g) ?? []) {
    const at = block.indexOf('@example')
    if (at < 0) continue
    const body = block.slice(at).replace(/^\s*\*\s?/gm, '')
    for (const match of body.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
      const names = (match[1] ?? '')
        .split(',')
        .map(
          (part) =>
            part
              .trim()
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)[0] ?? '',
        )
        .filter((name) => name !== '')
      found.push({ names, from: match[2] ?? '' })
    }
  }
  return found
}

test('default: every name a JSDoc example imports is exported where it says', () => {
  const files = sources(packagesDir)
  const packageEntries = entries()
  const program = ts.createProgram([...files, ...packageEntries.values()], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  })
  const checker = program.getTypeChecker()
  const exportsOf = (file: string): Set<string> | undefined => {
    const source = program.getSourceFile(file)
    const symbol = source && checker.getSymbolAtLocation(source)
    return symbol ? new Set(checker.getExportsOfModule(symbol).map((s) => s.getName())) : undefined
  }
  const problems: string[] = []
  let checked = 0
  for (const file of files) {
    for (const { names, from } of exampleImports(readFileSync(file, 'utf8'))) {
      const target = from.startsWith('.')
        ? resolve(dirname(file), from)
        : from.startsWith('@tollgate/')
          ? packageEntries.get(from)
          : undefined
      if (!from.startsWith('.') && !from.startsWith('@tollgate/')) continue
      const exported = target ? exportsOf(target) : undefined
      const where = relative(root, file)
      if (!exported) {
        problems.push(`${where}: an example imports from ${from}, which is not an entry or file`)
        continue
      }
      for (const name of names) {
        checked++
        if (!exported.has(name))
          problems.push(`${where}: an example imports ${name} from ${from}, which does not export it`)
      }
    }
  }
  expect(checked).toBeGreaterThan(50)
  expect(problems).toEqual([])
})
