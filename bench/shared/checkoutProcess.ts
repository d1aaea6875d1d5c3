/**
 * The parent's side of a bench part that runs another checkout's code (`--against NAME=DIR`, DIR made
 * by bench/shared/checkout.sh): `script`, a file of this checkout, runs in a child process with DIR as
 * its working directory, under DIR's own scripts/register-source.mjs, and loads the code it measures
 * from DIR with `checkoutImport` (checkoutChild.ts). The other checkout's modules cannot be imported
 * into this process: their `@tollgate/*` would resolve to this checkout's. `input` goes to the child
 * as one JSON line on stdin; each line it sends with `reply` comes back from `next()`; `stop()` closes
 * its stdin (the child stops what it started and exits), then kills it if it has not exited in 15 s.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { replyPrefix } from './checkoutChild.ts'

/** A running child of {@link startInCheckout}. */
export type CheckoutProcess = {
  /** The child's next reply, parsed; rejects if it exits first. */
  next<T>(): Promise<T>
  /** Asks the child to stop and waits for it to exit. */
  stop(): Promise<void>
}

/** This checkout's root: the `--against` of a checkout that is this one. */
export const thisCheckout = resolve(import.meta.dirname, '../..')

/** Starts `script` (a path in this checkout) with `dir` as its working directory; see the module comment. */
export function startInCheckout({
  dir,
  script,
  input,
}: {
  dir: string
  script: string
  input: unknown
}): CheckoutProcess {
  const checkout = resolve(dir)
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // checkoutImport resolves a bare specifier from the checkout (import.meta.resolve with a parent).
      '--experimental-import-meta-resolve',
      '--disable-warning=ExperimentalWarning',
      '--import',
      pathToFileURL(join(checkout, 'scripts/register-source.mjs')).href,
      resolve(thisCheckout, script),
    ],
    { cwd: checkout, stdio: ['pipe', 'pipe', 'inherit'], env: process.env },
  )
  // Never leave a child behind, whatever ends this process.
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.once('exit', kill)
  const exited = new Promise<void>((done) => child.once('exit', () => done()))
  const replies: string[] = []
  const waiting: { resolve(line: string): void; reject(error: Error): void }[] = []
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith(replyPrefix)) return // anything else the checkout's code prints
    const body = line.slice(replyPrefix.length)
    const reader = waiting.shift()
    if (reader) reader.resolve(body)
    else replies.push(body)
  })
  void exited.then(() => {
    const error = new Error(`${script} in ${checkout} exited with ${child.exitCode ?? child.signalCode}`)
    for (const reader of waiting.splice(0)) reader.reject(error)
  })
  child.stdin?.on('error', () => undefined) // the child gone: its exit says so
  child.stdin?.write(`${JSON.stringify(input)}\n`)
  return {
    next: async <T>() => {
      const ready = replies.shift()
      if (ready !== undefined) return JSON.parse(ready) as T
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${script} in ${checkout} exited with ${child.exitCode ?? child.signalCode}`)
      }
      return JSON.parse(await new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }))) as T
    },
    stop: async () => {
      child.stdin?.end()
      const timer = setTimeout(kill, 15_000)
      await exited
      clearTimeout(timer)
      process.removeListener('exit', kill)
    },
  }
}
