/**
 * No import cycles inside a package (the zod idea, style.md §1): every import in packages/*\/src, value and
 * type alike (`import`, `import type`, `export … from`, `import()`, `import('…').T`), resolved from its file, and
 * the graph walked for a way back. A contract two modules share lives in a leaf file both import, never in one
 * of them. Also: no folder of packages/*\/src holds more than 15 source files (tests aside) at one level.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import ts from 'typescript'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')
const isTest = (file: string) => /\.test(-d)?\.ts$/.test(file)

/** Every .ts file under packages/*\/src, tests included (a test importing its module closes no cycle). */
function sources(): string[] {
  return readdirSync(join(root, 'packages')).flatMap((name) => {
    const src = join(root, 'packages', name, 'src')
    if (!existsSync(src)) return []
    return readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file) && !file.split(sep).includes('node_modules'))
      .map((file) => join(src, file))
  })
}

/** The specifiers a file imports, read by TypeScript's own scanner (comments and strings never count). */
function specifiers(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return importedFiles.map((imported) => imported.fileName)
}

/** A relative specifier resolved as the Bundler resolution does (`.ts` written out, or added, or `/index.ts`). */
function resolve(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier)
  const tried = [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]
  return tried.find((path) => existsSync(path) && statSync(path).isFile())
}

type Graph = { edges: Map<string, string[]>; unresolved: string[] }

function graph(files: readonly string[]): Graph {
  const edges = new Map<string, string[]>()
  const unresolved: string[] = []
  for (const file of files) {
    const targets: string[] = []
    for (const specifier of specifiers(file).filter((s) => s.startsWith('.'))) {
      const target = resolve(file, specifier)
      if (target) targets.push(target)
      else unresolved.push(`${relative(root, file)}: ${specifier}`)
    }
    edges.set(file, targets)
  }
  return { edges, unresolved }
}

/** One cycle per edge that leads back onto the walk's path, each as `a -> b -> … -> a`, files relative to root. */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = []
  const done = new Set<string>()
  const onPath = new Map<string, number>()
  const path: string[] = []
  const visit = (file: string): void => {
    onPath.set(file, path.length)
    path.push(file)
    for (const next of edges.get(file) ?? []) {
      const at = onPath.get(next)
      if (at !== undefined) {
        cycles.push([...path.slice(at), next].map((f) => relative(root, f)).join(' -> '))
      } else if (!done.has(next)) {
        visit(next)
      }
    }
    path.pop()
    onPath.delete(file)
    done.add(file)
  }
  for (const file of [...edges.keys()].sort()) if (!done.has(file)) visit(file)
  return cycles
}

const files = sources()
const { edges, unresolved } = graph(files)

test('default: no import cycle in packages/*/src', () => {
  expect(files.length).toBeGreaterThan(100)
  expect(unresolved).toEqual([])
  expect(findCycles(edges)).toEqual([])
})

test('behavior: the walk finds a cycle, through type imports and re-exports too', () => {
  const named = (links: Record<string, string[]>) =>
    new Map(Object.entries(links).map(([file, to]) => [join(root, file), to.map((t) => join(root, t))]))
  expect(findCycles(named({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts'], 'c.ts': ['a.ts'] }))).toEqual([
    'a.ts -> b.ts -> c.ts -> a.ts',
  ])
  expect(findCycles(named({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([])
  const read = (text: string) => ts.preProcessFile(text, true, true).importedFiles.map((i) => i.fileName)
  expect(
    read(
      [
        "import type { A } from './a.ts'",
        "export { b } from './b.ts'",
        "export type { C } from './c.ts'",
        "const d = await import('./d.ts')",
        "type E = import('./e.ts').E",
        "// import { f } from './f.ts'",
      ].join('\n'),
    ),
  ).toEqual(['./a.ts', './b.ts', './c.ts', './d.ts', './e.ts'])
})

test('default: no folder of packages/*/src holds more than 15 source files at one level', () => {
  const perFolder = new Map<string, number>()
  for (const file of files.filter((f) => !isTest(f))) {
    const [, name] = relative(root, file).split(sep)
    if (name === undefined) continue
    const folder = relative(root, dirname(file))
    perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1)
  }
  expect(perFolder.has(join('packages', 'facilitator', 'src'))).toBe(true)
  expect(perFolder.has(join('packages', 'evm', 'src', 'encoding'))).toBe(true)
  expect(perFolder.has(join('packages', 'hono', 'src', 'paywall', 'browser'))).toBe(true)
  const crowded = [...perFolder].filter(([, count]) => count > 15).map(([folder, count]) => `${folder}: ${count}`)
  expect(crowded).toEqual([])
})
