import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, isPortFree } from './freePort.ts'

/** How anvil mines: `mixed` = every tx at once plus a block every `blockTime` (recommended, chain.md §0). */
export type AnvilMining = 'mixed' | 'interval' | 'auto'

/** Options of {@link startAnvil}. */
export type StartAnvilParameters = {
  /** Port on 127.0.0.1. Default: a free port chosen by the OS (retried if another process grabs it first). */
  port?: number
  /** Default: `8453` (Base). */
  chainId?: number
  /** Seconds between interval blocks; fractions work (`0.5`). Default: `1`. Ignored when `mining` is `auto`. */
  blockTime?: number
  /** Default: `mixed` (`--mixed-mining --block-time <n>`); `interval` is `--block-time <n>` only; `auto` is automine only. */
  mining?: AnvilMining
  /** Extra anvil flags, e.g. `['--gas-limit', '300000000']`. */
  args?: readonly string[]
  /** Milliseconds to wait for the first `eth_chainId` answer. Default: `10_000`. */
  timeout?: number
}

/** A running anvil process. */
export type Anvil = {
  /** `http://127.0.0.1:<port>` */
  url: string
  port: number
  pid: number
  chainId: number
  /** SIGTERM, then SIGKILL after a short grace; resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>
}

const stopGraceMs = 2_000
const pollIntervalMs = 5
const running = new Set<ChildProcess>()

/**
 * Starts anvil (the platform binary from `@foundry-rs/anvil-<os>-<arch>`, not the `.bin` Node wrapper, so there is one
 * PID to kill) and resolves once it answers `eth_chainId`. Defaults: a free port, chain id 8453, mixed mining with a
 * 1 s block time, `--silent`. Fails fast if anvil exits first. Any anvil still running when the Node process exits
 * is killed, but call `stop()`.
 *
 * @example
 * import { startAnvil } from './anvil.ts'
 * const anvil = await startAnvil({ chainId: 8453 })
 * // ... talk to anvil.url
 * await anvil.stop()
 * @see chain.md §1.1 and §1.6 step 1
 */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<Anvil> {
  if (parameters.port !== undefined) {
    if (!(await isPortFree(parameters.port))) {
      throw new Error(`Cannot start anvil: port ${parameters.port} on 127.0.0.1 is already in use.`)
    }
    return spawnAnvil(parameters.port, parameters)
  }
  // A port from freePort() can be taken by someone else before anvil binds it; try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnAnvil(await freePort(), parameters)
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error && error.message.includes('Address already in use'))) throw error
    }
  }
}

/**
 * The path of the anvil binary installed by `@foundry-rs/anvil`'s optional platform package.
 *
 * @example
 * import { anvilBinary } from './anvil.ts'
 * anvilBinary() // '/…/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil'
 * @see chain.md §1.1
 */
export function anvilBinary(): string {
  const os = process.platform === 'linux' || process.platform === 'darwin' ? process.platform : undefined
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : undefined
  if (!os || !arch) throw new Error(`@foundry-rs/anvil has no binary for ${process.platform}-${process.arch}`)
  const name = `@foundry-rs/anvil-${os}-${arch}`
  try {
    return createRequire(import.meta.url).resolve(`${name}/bin/anvil`)
  } catch (cause) {
    throw new Error(`${name} is not installed; run npm install (without --omit=optional).`, { cause })
  }
}

async function spawnAnvil(port: number, parameters: StartAnvilParameters): Promise<Anvil> {
  const { chainId = 8453, blockTime = 1, mining = 'mixed', args = [], timeout = 10_000 } = parameters
  const flags = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent']
  if (mining === 'mixed') flags.push('--mixed-mining')
  if (mining !== 'auto') flags.push('--block-time', String(blockTime))

  const child = spawn(anvilBinary(), [...flags, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000)
  })
  let failure: Error | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      failure ??= error
      resolve()
    })
    child.once('exit', (code, signal) => {
      failure ??= new Error(`anvil exited (${signal ?? `code ${code}`}) before it was ready`)
      resolve()
    })
  }).finally(() => running.delete(child))
  running.add(child)
  installExitHook()

  const isRunning = () => child.exitCode === null && child.signalCode === null && failure === undefined
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (isRunning()) {
        const kill = setTimeout(() => child.kill('SIGKILL'), stopGraceMs)
        child.kill('SIGTERM')
        await exited
        clearTimeout(kill)
      }
      await exited
    })()
    return stopping
  }

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + timeout
  for (;;) {
    const answer = await chainIdOf(url)
    if (!isRunning()) {
      await stop()
      const output = stderr.trim()
      throw new Error(`Cannot start anvil on port ${port}: ${output || failure?.message || 'it exited'}`)
    }
    if (answer !== undefined) {
      if (answer !== chainId) {
        await stop()
        throw new Error(`Cannot start anvil: ${url} answers with chain id ${answer}, expected ${chainId}.`)
      }
      return { url, port, pid: child.pid ?? 0, chainId, stop }
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`anvil did not answer on ${url} within ${timeout} ms. ${stderr.trim()}`.trim())
    }
    await sleep(pollIntervalMs)
  }
}

async function chainIdOf(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    })
    const body = (await response.json()) as { result?: unknown }
    return typeof body.result === 'string' ? Number(body.result) : undefined
  } catch {
    return undefined
  }
}

let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' handlers must be synchronous: no grace period here, just make sure nothing outlives us.
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}
