/**
 * The lockfile is what `npm ci` installs on a clean clone (CI), so it must be in step with every package.json.
 *
 * `npm ci` refuses a lockfile in which a package's optional dependency has no entry. The registry
 * this project's machines reach lacks some platform builds, so `npm install` leaves them out; run
 * `node scripts/fix-lockfile.mjs` after it changes the lockfile.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'

const root = join(import.meta.dirname, '..')

test('default: every optional dependency in package-lock.json has an entry, so npm ci accepts it', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'))
  const packages: Record<string, { optionalDependencies?: Record<string, string> }> = lock.packages
  const missing: string[] = []
  for (const [where, entry] of Object.entries(packages)) {
    for (const name of Object.keys(entry.optionalDependencies ?? {})) {
      const nested = `${where ? `${where}/` : ''}node_modules/${name}`
      if (!packages[nested] && !packages[`node_modules/${name}`]) missing.push(`${where || '(root)'} -> ${name}`)
    }
  }
  expect(missing, 'run: node scripts/fix-lockfile.mjs').toEqual([])
})

test('behavior: npm install leaves package-lock.json as committed (no drift from the package.json files)', async () => {
  // The manifests, the lockfile and the fix-up script in a scratch folder: `npm install --package-lock-only` then
  // resolves exactly what a fresh `npm install` on a clean clone would write, without touching node_modules.
  const scratch = mkdtempSync(join(tmpdir(), 'tollgate-lockfile-'))
  try {
    const manifests = ['package.json', 'package-lock.json', 'scripts/fix-lockfile.mjs']
    for (const group of ['packages', 'apps']) {
      for (const name of readdirSync(join(root, group))) {
        if (existsSync(join(root, group, name, 'package.json'))) manifests.push(`${group}/${name}/package.json`)
      }
    }
    for (const file of manifests) {
      mkdirSync(join(scratch, file, '..'), { recursive: true })
      cpSync(join(root, file), join(scratch, file))
    }
    const run = promisify(execFile)
    const flags = ['--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund']
    await run('npm', ['install', ...flags], { cwd: scratch })
    await run(process.execPath, ['scripts/fix-lockfile.mjs'], { cwd: scratch })
    const written = readFileSync(join(scratch, 'package-lock.json'), 'utf8')
    expect(
      written === readFileSync(join(root, 'package-lock.json'), 'utf8'),
      'run: npm install && node scripts/fix-lockfile.mjs',
    ).toBe(true)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
}, 60_000)
