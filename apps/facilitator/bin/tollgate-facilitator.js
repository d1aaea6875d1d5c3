#!/usr/bin/env node
// The tollgate-facilitator CLI: prints help (generated from the configuration schema in src/config.ts),
// or runs src/node.ts through tsx (the sources are TypeScript).
const args = process.argv.slice(2)
if (args.includes('--version') || args.includes('-v')) {
  const { readFileSync } = await import('node:fs')
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${manifest.version}\n`)
  process.exit(0)
}
const { register } = await import('tsx/esm/api')
register()
if (args.includes('--help') || args.includes('-h')) {
  const { helpText } = await import('../src/cli.ts')
  process.stdout.write(helpText())
  process.exit(0)
}
await import('../src/node.ts')
