/**
 * Structured JSON logs (pino) for the service. Secrets never reach the output: known fields are
 * redacted by path, and every line is scrubbed of the configured secrets (signer keys, RPC URLs,
 * the database URL) and of anything shaped like a full signature, whatever field carries them.
 */
import pino, { type DestinationStream, type Level, type Logger } from 'pino'

export type { Logger } from 'pino'

export type CreateLoggerOptions = {
  level?: Level | 'silent'
  /** Literal values never written (signer keys, RPC URLs, the database URL). */
  secrets?: readonly string[]
  /** Default: stdout. Tests pass a stream to capture the output. */
  destination?: DestinationStream
}

/** Field paths redacted wherever a caller puts them. */
export const redactPaths = [
  'signerKey',
  'signerKeys',
  'privateKey',
  'key',
  'apiKey',
  'rpcUrl',
  'databaseUrl',
  'signature',
  'authorization',
  '*.signerKey',
  '*.privateKey',
  '*.apiKey',
  '*.rpcUrl',
  '*.databaseUrl',
  '*.signature',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
]

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * A pino logger writing one JSON object per line. Secrets given in `secrets` (and each one's
 * JSON-escaped form, and an RPC URL without its trailing slash) are replaced by `[redacted]`, and a
 * hex string of a signature's length or longer (130+ digits) is cut to its first 10 digits.
 *
 * @example
 * const logger = createLogger({ level: 'info', secrets: [config.signerKey, ...rpcUrls] })
 * logger.info({ requestId, outcome: 'settled' }, 'settle')
 */
export function createLogger({ level = 'info', secrets = [], destination }: CreateLoggerOptions = {}): Logger {
  const literals = [
    ...new Set(
      secrets
        .filter((secret) => secret.length >= 8)
        .flatMap((secret) => [secret, secret.replace(/\/+$/, ''), JSON.stringify(secret).slice(1, -1)])
        .flatMap((secret) => [secret, secret.toLowerCase(), secret.startsWith('0x') ? secret.slice(2) : secret]),
    ),
  ].sort((a, b) => b.length - a.length)
  const secretPattern = literals.length > 0 ? new RegExp(literals.map(escapeRegExp).join('|'), 'gi') : undefined
  const scrub = (line: string) =>
    (secretPattern ? line.replace(secretPattern, '[redacted]') : line).replace(
      /(0x)?([0-9a-fA-F]{10})[0-9a-fA-F]{120,}/g,
      (_, prefix: string | undefined, head: string) => `${prefix ?? ''}${head}…`,
    )
  return pino(
    {
      level,
      base: { service: 'tollgate-facilitator' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: '[redacted]' },
      hooks: { streamWrite: scrub },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  )
}
