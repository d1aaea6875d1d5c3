/**
 * The house's dependency rules (architecture.md, style.md §4), checked on every package.json and
 * on every import in the sources, so an edge cannot sneak in through either.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { describe, expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')

/** What each workspace may import internally. */
const allowed: Record<string, readonly string[]> = {
  '@tollgate/protocol': [],
  '@tollgate/evm': ['@tollgate/protocol'],
  '@tollgate/facilitator': ['@tollgate/protocol', '@tollgate/evm'],
  '@tollgate/store-sqlite': ['@tollgate/facilitator', '@tollgate/protocol'],
  '@tollgate/store-postgres': ['@tollgate/facilitator', '@tollgate/protocol'],
  '@tollgate/store-durable-object': ['@tollgate/facilitator', '@tollgate/protocol'],
  '@tollgate/hono': ['@tollgate/protocol'],
  '@tollgate/mcp': ['@tollgate/hono', '@tollgate/protocol'],
  '@tollgate/facilitator-service': [
    '@tollgate/facilitator',
    '@tollgate/evm',
    '@tollgate/store-sqlite',
    '@tollgate/store-postgres',
    '@tollgate/protocol',
  ],
  '@tollgate/demo': ['@tollgate/hono', '@tollgate/mcp', '@tollgate/protocol'],
  // The Worker reuses the service's HTTP app and auth (Web APIs only) over the Durable Object Store.
  '@tollgate/facilitator-worker': [
    '@tollgate/facilitator',
    '@tollgate/facilitator-service',
    '@tollgate/protocol',
    '@tollgate/store-durable-object',
  ],
}

/** The official x402 packages are test oracles and benchmark baselines only. */
const isOfficialX402 = (specifier: string) => /^(?:@x402\/|x402(?:-fetch|-hono)?(?:\/|$))/.test(specifier)

type Workspace = { name: string; dir: string; manifest: Record<string, Record<string, string> | undefined> }

function workspaces(): Workspace[] {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(root, group))
      .map((name) => join(root, group, name))
      .filter((dir) => statSync(dir).isDirectory() && statSync(join(dir, 'package.json'), { throwIfNoEntry: false }))
      .map((dir) => {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
        return { name: manifest.name as string, dir, manifest }
      }),
  )
}

function sourceFiles(dir: string): string[] {
  return (
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      // Sources only: not installed dependencies, nor the build output (dist/, made by `npm run build`).
      .filter(
        (file) =>
          /\.(ts|tsx|js|mjs)$/.test(file) &&
          !file.split(sep).some((part) => part === 'node_modules' || part === 'dist'),
      )
      .map((file) => join(dir, file))
  )
}

const isTest = (file: string) => /\.test(-d)?\.ts$/.test(file)

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)]
  return found.map((match) => match[1] as string)
}

const list = workspaces()

test('default: every workspace is known to the rules', () => {
  expect(list.map((workspace) => workspace.name).sort()).toEqual(
    Object.keys(allowed)
      .filter((name) => list.some((workspace) => workspace.name === name))
      .sort(),
  )
  expect(list.length).toBeGreaterThan(0)
})

describe.each(list.map((workspace) => [workspace.name, workspace] as const))('%s', (name, workspace) => {
  const edges = allowed[name] ?? []

  test('package.json declares only allowed internal dependencies', () => {
    const declared = Object.keys({
      ...workspace.manifest.dependencies,
      ...workspace.manifest.peerDependencies,
      ...workspace.manifest.devDependencies,
    })
    for (const dependency of declared.filter((dep) => dep.startsWith('@tollgate/'))) {
      expect(edges, `${name} -> ${dependency}`).toContain(dependency)
    }
    for (const dependency of declared) {
      expect(isOfficialX402(dependency), `${name} depends on ${dependency}`).toBe(false)
    }
  })

  test('sources import only allowed workspaces, never apps/, test/ or bench/', () => {
    for (const file of sourceFiles(workspace.dir).filter((f) => !isTest(f))) {
      const where = relative(root, file)
      for (const specifier of imports(file)) {
        if (specifier.startsWith('@tollgate/')) {
          const target = specifier.split('/').slice(0, 2).join('/')
          if (target !== name) expect(edges, `${where} imports ${specifier}`).toContain(target)
        }
        if (specifier.startsWith('.')) {
          const target = relative(workspace.dir, join(file, '..', specifier))
          expect(target.startsWith('..'), `${where} reaches outside its workspace: ${specifier}`).toBe(false)
        }
        expect(isOfficialX402(specifier), `${where} imports the official package ${specifier}`).toBe(false)
      }
    }
  })

  test('every internal import is declared in package.json', () => {
    const declared = new Set(
      Object.keys({ ...workspace.manifest.dependencies, ...workspace.manifest.peerDependencies }),
    )
    for (const file of sourceFiles(workspace.dir).filter((f) => !isTest(f))) {
      for (const specifier of imports(file).filter((s) => s.startsWith('@tollgate/'))) {
        const target = specifier.split('/').slice(0, 2).join('/')
        if (target !== name) expect(declared.has(target), `${relative(root, file)}: ${target} undeclared`).toBe(true)
      }
    }
  })
})

test('behavior: @tollgate/mcp reuses the middleware core and never reaches the facilitator or evm', () => {
  expect(allowed['@tollgate/mcp']).not.toContain('@tollgate/facilitator')
  expect(allowed['@tollgate/mcp']).not.toContain('@tollgate/evm')
  expect(allowed['@tollgate/hono']).not.toContain('@tollgate/mcp')
})

test('behavior: @tollgate/hono and @tollgate/facilitator never import each other', () => {
  expect(allowed['@tollgate/hono']).not.toContain('@tollgate/facilitator')
  expect(allowed['@tollgate/facilitator']).not.toContain('@tollgate/hono')
  expect(allowed['@tollgate/hono']).not.toContain('@tollgate/evm')
})
