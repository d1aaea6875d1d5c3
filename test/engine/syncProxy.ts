/**
 * A JSON-RPC proxy on loopback in front of anvil that counts calls by method and plays one of the
 * ways a node answers `eth_sendRawTransactionSync` (EIP-7966). Test-only.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * - `forward`: the node's own answer (anvil serves the method);
 * - `notFound`: `-32601`, as a node without the method;
 * - `hang`: the transaction is sent (as `eth_sendRawTransaction`) and the call never answered, as
 *   Base's node when it misses a receipt published before it subscribed;
 * - `timeout`: the transaction is sent and the call answered with EIP-7966's timeout (code 4, hash);
 * - `preconfirm`: a Flashblock played on anvil (mine nothing else meanwhile): the transaction is mined
 *   in a block that is then taken back (`evm_snapshot`, `evm_mine`, `evm_revert`), sent again so it
 *   waits in the pool, and the call answered with the taken-back block's receipt: a preconfirmation
 *   whose block is not sealed yet;
 * - `drop`: as `preconfirm`, but the transaction is not sent again: a preconfirmation the sequencer dropped.
 */
export type SyncBehaviour = 'forward' | 'notFound' | 'hang' | 'timeout' | 'preconfirm' | 'drop'

type RpcRequest = { id: number | string; method: string; params?: unknown[] }

export type SyncProxy = {
  url: string
  /** Calls by method. */
  calls(method: string): number
  stop(): Promise<void>
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

export async function startSyncProxy({ target, sync }: { target: string; sync: SyncBehaviour }): Promise<SyncProxy> {
  const counts = new Map<string, number>()
  const sockets = new Set<Socket>()
  const post = async (body: unknown) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return (await response.json()) as Record<string, unknown>
  }
  const answer = async (call: RpcRequest): Promise<Record<string, unknown> | undefined> => {
    counts.set(call.method, (counts.get(call.method) ?? 0) + 1)
    const isSend = call.method === 'eth_sendRawTransactionSync' && call.params?.[0] !== '0x'
    if (call.method === 'eth_sendRawTransactionSync' && sync === 'notFound') {
      return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'the method does not exist' } }
    }
    if (isSend && (sync === 'preconfirm' || sync === 'drop')) {
      const rpc = (method: string, params: unknown[]) => post({ jsonrpc: '2.0', id: call.id, method, params })
      const snapshot = (await rpc('evm_snapshot', [])).result
      const sent = await rpc('eth_sendRawTransaction', [call.params?.[0]])
      if (sent.error) return { jsonrpc: '2.0', id: call.id, error: sent.error }
      await rpc('evm_mine', [])
      const receipt = await rpc('eth_getTransactionReceipt', [sent.result])
      await rpc('evm_revert', [snapshot])
      if (sync === 'preconfirm') await rpc('eth_sendRawTransaction', [call.params?.[0]])
      return { jsonrpc: '2.0', id: call.id, result: receipt.result }
    }
    if (isSend && (sync === 'hang' || sync === 'timeout')) {
      const sent = await post({
        jsonrpc: '2.0',
        id: call.id,
        method: 'eth_sendRawTransaction',
        params: [call.params?.[0]],
      })
      if (sync === 'hang') return undefined
      return {
        jsonrpc: '2.0',
        id: call.id,
        error: {
          code: 4,
          message:
            'The transaction was added to the mempool but wasn’t processed within the designated timeout interval.',
          data: sent.result,
        },
      }
    }
    return post(call)
  }
  const server = createServer((request, response) => {
    void (async () => {
      const body = JSON.parse(await readBody(request)) as RpcRequest | RpcRequest[]
      const answers = Array.isArray(body) ? await Promise.all(body.map(answer)) : [await answer(body)]
      if (answers.some((one) => one === undefined)) return // hangs until stop()
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(Array.isArray(body) ? answers : answers[0]))
    })().catch(() => request.socket.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls: (method) => counts.get(method) ?? 0,
    stop() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
