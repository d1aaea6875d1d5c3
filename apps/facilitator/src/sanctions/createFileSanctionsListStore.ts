import { mkdir, open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type Hex, sha256, stringToBytes } from 'viem'
import type { SanctionsListStore } from './sanctionsListStore.ts'

const hashOf = (text: string): Hex => sha256(stringToBytes(text))

/** Writes `text` to `path` as a whole: a temporary file beside it, flushed to disk, then renamed over it. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`
  await mkdir(dirname(path), { recursive: true })
  const file = await open(temporary, 'wx')
  try {
    await file.writeFile(text)
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/**
 * The OFAC list in a file of this node (`TOLLGATE_SANCTIONS_LIST=<path>`): replaced atomically (temporary file,
 * fsync, rename), so the service watching the file, and any reader, sees the old list or the new one. A candidate
 * held for review goes to `<path>.held`.
 *
 * @example
 * const store = createFileSanctionsListStore({ path: '/var/lib/tollgate/ofac-sdn-evm.json' })
 * await store.replace(text, { expected: (await store.read())?.sha256 })
 */
export function createFileSanctionsListStore({ path }: { path: string }): SanctionsListStore {
  const read = async () => {
    try {
      const text = await readFile(path, 'utf8')
      return { text, sha256: hashOf(text) }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }
  return {
    where: `file ${path}`,
    read,
    sha256: async () => (await read())?.sha256,
    async replace(text, { expected }) {
      // One node writes its own file: the check is against another process of this node (the CLI, the service).
      if ((await read())?.sha256 !== expected) return false
      await writeAtomically(path, text)
      return true
    },
    async hold(text) {
      await writeAtomically(`${path}.held`, text)
      return `file ${path}.held`
    },
    close: async () => undefined,
  }
}
