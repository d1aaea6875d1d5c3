import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * The URLs a bench's server process prints as its first stdout line (one JSON object), once it is up.
 * The child is killed with the bench (SIGKILL on exit, SIGTERM through `stopAll`), and the JSON lines
 * it logs after the first are read and dropped, so its pipe never fills.
 */
export async function serverUrls<K extends string>(
  child: ChildProcess,
  stopAll: (() => Promise<unknown> | unknown)[],
): Promise<Record<K, string>> {
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  stopAll.push(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const urls = await new Promise<Record<K, string>>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line)))
    child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)))
  })
  lines.on('line', () => undefined)
  return urls
}
