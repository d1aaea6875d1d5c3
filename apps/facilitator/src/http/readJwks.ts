import { readFileSync } from 'node:fs'
import { parseJwtKeys } from './auth.ts'

/** The JWT keys of a JWKS file; a file that cannot be read or parsed fails startup, naming the variable. */
export async function readJwks(path: string): ReturnType<typeof parseJwtKeys> {
  try {
    return await parseJwtKeys(JSON.parse(readFileSync(path, 'utf8')))
  } catch (error) {
    throw new Error(`Invalid configuration: TOLLGATE_AUTH_JWKS_FILE: ${(error as Error).message}`)
  }
}
