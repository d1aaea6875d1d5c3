/**
 * The CLI's help text and argument handling, generated from the configuration schema
 * ({@link options}) so that `--help` lists every option with its default and never drifts.
 */
import { ConfigError } from '@tollgate/protocol'
import { describeOptions } from '../config/describeOptions.ts'
import type { Env } from '../config/options.ts'
import { readConfigFile } from '../config/readConfigFile.ts'
import { doctorOptionsHelp } from './doctorArgs.ts'

/** `tollgate-facilitator --help`: usage, then every option with its default, from the schema. */
export function helpText(): string {
  const rows = describeOptions()
  const width = Math.max(...rows.map(({ name }) => name.length)) + 2
  const lines = rows.map(
    ({ name, description, default: shown }) => `  ${name.padEnd(width)}${description} (default: ${shown})`,
  )
  return `tollgate-facilitator: a self-hosted x402 facilitator (exact scheme, EIP-3009 USDC on Base).

Usage: tollgate-facilitator [--config <file>] [--help] [--version]
       tollgate-facilitator keys create|list|revoke ...   API keys (see: keys --help)
       tollgate-facilitator doctor [options] <seller URL> what a catalogue would reject, and why (see: doctor --help)
       tollgate-facilitator receipt-keys rotate|show      receipt signing keys (see: receipt-keys --help)
       tollgate-facilitator sanctions update|convert ...  fetch OFAC's list and swap it in; or convert a file (see: sanctions --help)
       tollgate-facilitator audit export|verify ...       the screening audit trail (see: audit --help)

doctor reads the seller's documents as data: it stays on the target's origin, sends only GET and HEAD
(no body), follows redirects on that origin only, and bounds each request. These flags widen it:
${doctorOptionsHelp}
Configuration comes from environment variables, or from a file (--config) with the same keys, as
NAME=value lines or a JSON object; a variable set in the environment wins over the file:
${lines.join('\n')}

Endpoints: POST /verify, POST /settle, POST /release, GET /supported, GET /discovery/resources, GET /health (up or down),
GET /.well-known/jwks.json (receipt keys), GET /receipts/:id (the payee's key),
GET /ready (200 or 503; details for admin), GET /metrics (admin, or on TOLLGATE_METRICS_PORT).
SIGTERM or SIGINT: stop taking work, finish settlements in flight, exit 0. SIGHUP: reload the sanctions list.
`
}

/**
 * The environment to parse: `env`, over the file of `--config <path>` (or `--config=<path>`) when
 * given. An unknown argument is a {@link ConfigError}.
 */
export function environmentFrom(args: readonly string[], env: Env, readText: (path: string) => string): Env {
  let path: string | undefined
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    if (arg === '--config' && i + 1 < args.length) path = args[++i]
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length)
    else throw new ConfigError({ message: `Unknown argument: ${arg}` })
  }
  if (path === undefined) return env
  let text: string
  try {
    text = readText(path)
  } catch {
    throw new ConfigError({ message: `Invalid configuration: cannot read the config file ${path}` })
  }
  const file = readConfigFile(text, path)
  const merged: Record<string, string | undefined> = { ...file }
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[key] = value
  return merged
}
