#!/usr/bin/env node
// The tollgate-facilitator CLI: prints help (generated from the configuration schema in src/config.ts),
// manages API keys (`keys create|list|revoke`), or runs src/node.ts through tsx (the sources are TypeScript).
const args = process.argv.slice(2)
if (args.includes('--version') || args.includes('-v')) {
  const { readFileSync } = await import('node:fs')
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${manifest.version}\n`)
  process.exit(0)
}
const { register } = await import('tsx/esm/api')
register()
if (args[0] === 'keys') {
  // API keys: created (shown once), listed and revoked where the ledger is.
  const { runKeysCommand } = await import('../src/keys.ts')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runKeysCommand(args.slice(1), { env: process.env, out, err }))
}
if (args.includes('--help') || args.includes('-h')) {
  const { helpText } = await import('../src/cli.ts')
  process.stdout.write(helpText())
  process.exit(0)
}
await import('../src/node.ts')
