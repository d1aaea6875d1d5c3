/**
 * A JSON-RPC fault proxy on loopback, between a facilitator and anvil: for a share of requests it
 * drops the connection (before or after forwarding), delays, answers HTTP 503, or hangs past the
 * client's timeout. Seeded, so a failing run can be replayed. Test-only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * - `drop`: close the connection without forwarding.
 * - `dropAfter`: forward, then close without answering (the worst case for `eth_sendRawTransaction`:
 *   the transaction is sent, the answer is lost).
 * - `delay`: forward after `delayMs`.
 * - `error5xx`: answer 503 without forwarding.
 * - `hang`: forward, then hold the answer for `hangMs` (past the client's timeout) and close.
 */
export type Fault = 'drop' | 'dropAfter' | 'delay' | 'error5xx' | 'hang'

export type StartFaultProxyOptions = {
  /** Where requests go, e.g. anvil's URL. */
  target: string
  /** Share of requests that get a fault, `0..1`. Default `0`. */
  rate?: number
  /** Seed of the fault choice. */
  seed: number
  /** Default: all of them. */
  faults?: readonly Fault[]
  /** Default `300`. */
  delayMs?: number
  /** Default `3_000`. */
  hangMs?: number
}

export type FaultProxy = {
  url: string
  /** Changes the fault share (0 stops the faults). */
  setRate(rate: number): void
  /** Requests by outcome, and `sendRawLost`: raw transactions forwarded whose answer was dropped. */
  readonly stats: Record<Fault | 'ok' | 'sendRawLost', number>
  stop(): Promise<void>
}

/** A small seeded PRNG (mulberry32), uniform in `[0, 1)`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const allFaults: readonly Fault[] = ['drop', 'dropAfter', 'delay', 'error5xx', 'hang']
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

/**
 * Starts the proxy on a free loopback port.
 *
 * @example
 * const proxy = await startFaultProxy({ target: chain.url, rate: 0.2, seed: 7 })
 * // point the facilitator at proxy.url; later: proxy.setRate(0); await proxy.stop()
 */
export async function startFaultProxy({
  target,
  rate = 0,
  seed,
  faults = allFaults,
  delayMs = 300,
  hangMs = 3_000,
}: StartFaultProxyOptions): Promise<FaultProxy> {
  const random = seededRandom(seed)
  const stats: Record<Fault | 'ok' | 'sendRawLost', number> = {
    drop: 0,
    dropAfter: 0,
    delay: 0,
    error5xx: 0,
    hang: 0,
    ok: 0,
    sendRawLost: 0,
  }
  let share = rate
  let stopped = false
  const sockets = new Set<Socket>()
  const timers = new Set<ReturnType<typeof setTimeout>>()

  const forward = async (body: string) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(10_000),
    })
    return { status: response.status, text: await response.text() }
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request)
    const fault = random() < share ? faults[Math.floor(random() * faults.length)] : undefined
    if (fault) stats[fault]++
    else stats.ok++
    if (fault === 'drop') return void request.socket.destroy()
    if (fault === 'error5xx') {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('fault proxy: unavailable')
      return
    }
    if (fault === 'delay') await sleep(delayMs)
    let answer: { status: number; text: string }
    try {
      answer = await forward(body)
    } catch {
      return void request.socket.destroy()
    }
    if (fault === 'dropAfter') {
      if (body.includes('eth_sendRawTransaction')) stats.sendRawLost++
      return void request.socket.destroy()
    }
    if (fault === 'hang') {
      if (body.includes('eth_sendRawTransaction')) stats.sendRawLost++
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer)
          resolve()
        }, hangMs)
        timers.add(timer)
      })
      return void request.socket.destroy()
    }
    if (stopped) return void request.socket.destroy()
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text)
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    setRate(next) {
      share = next
    },
    stats,
    stop() {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
