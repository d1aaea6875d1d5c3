/** `tollgate-facilitator --help`, as the CLI prints it (the real bin) and as `helpText()` builds it. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { helpText } from './cli.ts'

const bin = join(import.meta.dirname, '../../bin/tollgate-facilitator.js')

describe('helpText', () => {
  test('default: every default is shown as it would be written, never [object Object]', () => {
    const text = helpText()
    expect(text).not.toContain('[object Object]')
    // An unset map (per-asset minimums) reads like an unset list.
    expect(text).toMatch(/TOLLGATE_MIN_AMOUNTS\s+per-asset minimums, 0xasset:amount comma-separated \(default: none\)/)
  })

  test('behavior: the limits explain their defaults; the JWT host says it is required with a JWKS', () => {
    const text = helpText()
    expect(text).toMatch(/TOLLGATE_RATE_LIMIT_KEY_PER_MINUTE .*well above what one node serves.*\(default: 600000\)/)
    expect(text).toMatch(/TOLLGATE_RATE_LIMIT_PER_MINUTE .*before authentication.*\(default: 600\)/)
    expect(text).toMatch(/TOLLGATE_MAX_IN_FLIGHT_PER_PAYER .*503 facilitator_unavailable with Retry-After/)
    expect(text).toMatch(/TOLLGATE_AUTH_JWT_HOST .*\(default: none; required with TOLLGATE_AUTH_JWKS_FILE\)/)
  })

  test('behavior: the bin prints it and exits 0', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--help'])
    expect(stdout).toContain('TOLLGATE_MIN_AMOUNTS')
    expect(stdout).not.toContain('[object Object]')
  }, 30_000)
})
