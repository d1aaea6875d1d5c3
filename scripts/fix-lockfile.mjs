#!/usr/bin/env node
// The npm registry this project's machines reach does not serve every platform build of a few
// packages (Biome's and anvil's non-linux-x64 binaries answer 404), so `npm install` leaves those
// optional dependencies out of package-lock.json, and `npm ci` then refuses the lockfile as out of
// sync. This adds each missing platform package as an optional entry with the os/cpu/libc its name
// declares, which npm skips on other platforms without fetching it. Run it after `npm install`
// changes the lockfile: `node scripts/fix-lockfile.mjs`.
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
const oses = ['android', 'darwin', 'linux', 'win32', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix']
const cpus = { arm64: 'arm64', x64: 'x64', amd64: 'x64', ia32: 'ia32', arm: 'arm' }

let added = 0
for (const [where, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `${where ? `${where}/` : ''}node_modules/${name}`
    if (lock.packages[key] || lock.packages[`node_modules/${name}`]) continue
    const parts = name.split('/').pop().split('-')
    const os = oses.find((candidate) => parts.includes(candidate))
    const cpu = Object.keys(cpus).find((candidate) => parts.includes(candidate))
    if (!os || !cpu) {
      console.error(`cannot tell the platform of ${name}; leaving it out`)
      continue
    }
    lock.packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [os],
      cpu: [cpus[cpu]],
      ...(parts.includes('musl') ? { libc: ['musl'] } : {}),
    }
    added++
  }
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`package-lock.json: added ${added} platform-only optional entries`)
