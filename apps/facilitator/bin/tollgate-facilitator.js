#!/usr/bin/env node
// The tollgate-facilitator CLI: prints help (generated from the configuration table in src/config/options.ts),
// manages API keys (`keys create|list|revoke`), converts the OFAC list (`sanctions convert`), exports and verifies the
// screening audit trail (`audit export|verify`), checks a seller's discoverability (`doctor URL`), or starts the service. Installed from npm it runs the
// built dist/ with plain node. In a checkout of the repository (src/ beside dist/, which the published
// package does not ship) it runs the TypeScript sources through tsx, resolving @tollgate/* to their sources.
import { existsSync, readFileSync } from 'node:fs'

const args = process.argv.slice(2)
if (args.includes('--version') || args.includes('-v')) {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${manifest.version}\n`)
  process.exit(0)
}
const fromSource = existsSync(new URL('../src/node.ts', import.meta.url))
if (fromSource) {
  const { register } = await import('node:module')
  // The workspace's packages export their sources under the `@tollgate/source` condition (see package.json).
  const addSourceCondition = `export function resolve(specifier, context, next) {
    return next(specifier, { ...context, conditions: [...context.conditions, '@tollgate/source'] })
  }`
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
  const tsx = await import('tsx/esm/api')
  tsx.register()
}
// Each command's module: its source under src/ (by concept), built to dist/<name>.js (tsdown.config.ts).
const sources = {
  node: 'node',
  cli: 'commands/cli',
  keys: 'commands/keys',
  doctor: 'commands/doctor',
  receiptKeys: 'receipts/receiptKeys',
  sanctions: 'commands/sanctions',
  audit: 'commands/audit',
}
const load = (name) => import(fromSource ? `../src/${sources[name]}.ts` : `../dist/${name}.js`)
if (args[0] === 'keys') {
  // API keys: created (shown once), listed and revoked where the ledger is.
  const { runKeysCommand } = await load('keys')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runKeysCommand(args.slice(1), { env: process.env, out, err }))
}
if (args[0] === 'receipt-keys') {
  // Receipt signing keys: rotate (the old ones stay published), show the public JWKS.
  const { runReceiptKeysCommand } = await load('receiptKeys')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runReceiptKeysCommand(args.slice(1), { env: process.env, out, err }))
}
if (args[0] === 'doctor') {
  // Discovery check of a seller: what a catalogue would reject, with the reason.
  const { runDoctorCommand } = await load('doctor')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runDoctorCommand(args.slice(1), { env: process.env, out, err }))
}
if (args[0] === 'sanctions') {
  // The OFAC list for screening: fetched and swapped in (update), or converted from SDN_ADVANCED.XML or sdn.csv.
  const { runSanctionsCommand } = await load('sanctions')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runSanctionsCommand(args.slice(1), { env: process.env, out, err }))
}
if (args[0] === 'audit') {
  // The screening audit trail: exported, or verified (hash chain).
  const { runAuditCommand } = await load('audit')
  const out = (text) => process.stdout.write(text)
  const err = (text) => process.stderr.write(text)
  process.exit(await runAuditCommand(args.slice(1), { env: process.env, out, err }))
}
if (args.includes('--help') || args.includes('-h')) {
  const { helpText } = await load('cli')
  process.stdout.write(helpText())
  process.exit(0)
}
await load('node')
