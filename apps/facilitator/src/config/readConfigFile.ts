import { ConfigError } from '@tollgate/protocol'
import * as z from 'zod'
import { type Env, options } from './options.ts'

const rpcPattern = /^TOLLGATE_RPC_URL_[0-9]{1,12}$/

/**
 * The variables of a config file (`--config <file>`), with the same keys as the environment: a JSON
 * object (`{ "TOLLGATE_PORT": 4020, "TOLLGATE_RPC_URL_8453": "https://…" }`, values strings, numbers
 * or booleans), or `NAME=value` lines as in an env file (`#` starts a comment, `export ` and quotes are
 * allowed). An unknown key is a {@link ConfigError}, so a typo is not silently ignored; a bad line is
 * named by its number, never echoed (it may hold the signer key). The caller merges the result under
 * the environment (a variable set in the environment wins).
 */
export function readConfigFile(text: string, path: string): Env {
  let entries: [string, string][]
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new ConfigError({ message: `Invalid configuration: ${path}: not valid JSON` })
    }
    const file = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).safeParse(parsed)
    if (!file.success) {
      throw new ConfigError({
        message: `Invalid configuration: ${path}: expected an object of strings, numbers or booleans`,
      })
    }
    entries = Object.entries(file.data).map(([key, value]) => [key, String(value)])
  } else {
    entries = []
    for (const [index, raw] of text.split(/\r?\n/).entries()) {
      const line = raw.trim()
      if (line === '' || line.startsWith('#')) continue
      const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
      if (!match) throw new ConfigError({ message: `Invalid configuration: ${path}:${index + 1}: expected NAME=value` })
      entries.push([match[1] as string, (match[2] as string).replace(/^(["'])(.*)\1$/, '$2')])
    }
  }
  const unknown = entries.map(([key]) => key).filter((key) => !(key in options) && !rpcPattern.test(key))
  if (unknown.length > 0) {
    throw new ConfigError({ message: `Invalid configuration: ${path}: unknown option ${unknown[0]}` })
  }
  return Object.fromEntries(entries)
}
