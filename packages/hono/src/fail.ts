import { ConfigError } from '@tollgate/protocol'

/** Throws the ConfigError of a bad option, naming its field (and the value received). */
export function fail(field: string, message: string, received?: unknown): never {
  throw new ConfigError({
    message: `paymentRequired: ${field}: ${message}`,
    ...(received === undefined ? {} : { details: [`Received: ${safeJson(received)}`] }),
  })
}

function safeJson(value: unknown): string {
  try {
    return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value))
  } catch {
    return String(value)
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
