/**
 * `npm ci` refuses a lockfile in which a package's optional dependency has no entry. The registry
 * this project's machines reach lacks some platform builds, so `npm install` leaves them out; run
 * `node scripts/fix-lockfile.mjs` after it changes the lockfile.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'

test('default: every optional dependency in package-lock.json has an entry, so npm ci accepts it', () => {
  const lock = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package-lock.json'), 'utf8'))
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
