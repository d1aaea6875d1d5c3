/**
 * The child's side of checkoutProcess.ts: a script of this checkout, running with another checkout
 * (DIR) as its working directory, loads the code it measures from there, reads its input and
 * answers its parent.
 */
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'

/** What starts each line meant for the parent (anything else on stdout is ignored). */
export const replyPrefix = '@@checkout '

/** The checkout this process runs: its working directory. */
export const checkout = process.cwd()

const checkoutUrl = pathToFileURL(`${checkout}/`).href

/**
 * Imports a module as the checkout's own code would: a bare specifier (`@tollgate/hono`, `hono`)
 * resolved from the checkout's root, a relative one (`./apps/facilitator/src/startFacilitator.ts`)
 * from the root itself.
 */
export async function checkoutImport<T>(specifier: string): Promise<T> {
  return (await import(checkoutResolve(specifier))) as T
}

/** Where {@link checkoutImport} loads `specifier` from: a `file:` URL (for a log line that shows whose code runs). */
export function checkoutResolve(specifier: string): string {
  return import.meta.resolve(specifier, checkoutUrl)
}

// stdin, read only once asked (the parent imports this module for replyPrefix).
let stdin: { lines: ReturnType<typeof createInterface>; first: Promise<string> } | undefined
const stdinLines = () => {
  if (stdin) return stdin
  const lines = createInterface({ input: process.stdin })
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    lines.once('close', () => reject(new Error('stdin closed before the input')))
  })
  first.catch(() => undefined) // read or not, a parent that stops early is no error here
  stdin = { lines, first }
  return stdin
}

/** The parent's input: the first line on stdin, as JSON. */
export async function readInput<T>(): Promise<T> {
  return JSON.parse(await stdinLines().first) as T
}

/** Sends one value to the parent (its `next()`). */
export function reply(value: unknown): void {
  process.stdout.write(`${replyPrefix}${JSON.stringify(value)}\n`)
}

/** Runs `stop` when the parent closes stdin (or on SIGTERM), then exits. */
export function onStop(stop: () => Promise<void>): void {
  let stopping = false
  const end = () => {
    if (stopping) return
    stopping = true
    void stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
        process.exit(1)
      },
    )
  }
  stdinLines().lines.once('close', end)
  process.once('SIGTERM', end)
}
