#!/usr/bin/env node
// The tollgate-facilitator CLI: prints help, or starts the service. Installed from npm it runs the built
// dist/node.js with plain node. In a checkout of the repository (src/ beside dist/, which the published
// package does not ship) it runs the TypeScript sources through tsx, resolving @tollgate/* to their sources.
const help = `tollgate-facilitator: a self-hosted x402 facilitator (exact scheme, EIP-3009 USDC on Base).

Usage: tollgate-facilitator [--config <file>] [--help] [--version]

  --config <file>  read the variables below from a file of NAME=value lines (# starts a comment); a variable
                   already set in the environment wins over the file

Configuration comes from environment variables:
  TOLLGATE_SIGNER_KEY            settlement signer private key, 0x + 64 hex digits (required; never logged)
  TOLLGATE_NETWORKS              comma-separated CAIP-2 ids or v1 names (default: eip155:8453)
  TOLLGATE_RPC_URL_<chainId>     http(s) RPC URL for each enabled network, e.g. TOLLGATE_RPC_URL_8453 (required)
  TOLLGATE_HOST                  listen address (default: 127.0.0.1)
  TOLLGATE_PORT                  listen port (default: 4020; 0 picks a free port)
  TOLLGATE_DATA_DIR              directory of the SQLite ledger (default: ./.data)
  TOLLGATE_DATABASE_URL          postgres://… : the ledger on PostgreSQL, shared by several nodes (default: none, SQLite; never logged)
  TOLLGATE_DATABASE_SCHEMA       PostgreSQL schema of the ledger (default: public)
  TOLLGATE_RESERVATION_SECONDS   how long a /verify reservation is held (default: 120)
  TOLLGATE_EIP6492_FACTORIES     comma-separated ERC-6492 factory allowlist (default: none)
  TOLLGATE_RECEIPT_TIMEOUT_MS    how long /settle waits for a receipt before settlement_pending (default: 30000)
  TOLLGATE_POLLING_INTERVAL_MS   receipt polling interval (default: 250)
  TOLLGATE_RECONCILE_INTERVAL_MS how often the reconciler finishes non-final ledger rows (default: 30000; 0: at start only)
  TOLLGATE_RECONCILE_STALE_SECONDS  age at which an unclaimed settling row is given back to reserved (default: 60)
  TOLLGATE_SIGNER_LEASE_SECONDS  signer lease on a shared (PostgreSQL) ledger, fenced, renewed every quarter of it (default: 6)
  TOLLGATE_NODE_ID               this node's stable id on a shared ledger: a restart under it takes its lease at once (default: random)

Endpoints: POST /verify, POST /settle, GET /supported, GET /health.
`
const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(help)
  process.exit(0)
}
const { existsSync, readFileSync } = await import('node:fs')
if (args.includes('--version') || args.includes('-v')) {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${manifest.version}\n`)
  process.exit(0)
}
if (args[0] === '--config' || args[0]?.startsWith('--config=')) {
  const file = args[0] === '--config' ? args[1] : args[0].slice('--config='.length)
  if (!file) {
    process.stderr.write(`--config needs a file\n\n${help}`)
    process.exit(2)
  }
  let text
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    process.stderr.write(`Cannot read the config file ${file}: ${error.code ?? error.message}\n`)
    process.exit(1)
  }
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!match) {
      // The line is not echoed: it may hold the signer key.
      process.stderr.write(`${file}:${index + 1}: expected NAME=value\n`)
      process.exit(1)
    }
    const value = match[2].replace(/^(["'])(.*)\1$/, '$2')
    if (process.env[match[1]] === undefined) process.env[match[1]] = value
  }
  args.splice(0, args[0] === '--config' ? 2 : 1)
}
if (args.length > 0) {
  process.stderr.write(`Unknown argument: ${args[0]}\n\n${help}`)
  process.exit(2)
}
if (existsSync(new URL('../src/node.ts', import.meta.url))) {
  const { register } = await import('node:module')
  // The workspace's packages export their sources under the `@tollgate/source` condition (see package.json).
  const addSourceCondition = `export function resolve(specifier, context, next) {
    return next(specifier, { ...context, conditions: [...context.conditions, '@tollgate/source'] })
  }`
  register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`)
  const tsx = await import('tsx/esm/api')
  tsx.register()
  await import('../src/node.ts')
} else {
  await import('../dist/node.js')
}
