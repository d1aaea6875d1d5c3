import type { Client } from 'viem'

/** Whether a node serves `eth_sendRawTransactionSync` (EIP-7966); `unknown`: it could not be asked now. */
export type SendSyncSupport = 'supported' | 'unsupported' | 'unknown'

/** JSON-RPC codes a node answers for a method it does not serve. */
const notServed = new Set([-32601, -32004])
const notServedMessage = /method .*(not (found|supported|available|allowed)|does not exist)|unsupported method/i

/** The first JSON-RPC `code` along a viem error's causes. */
export function rpcErrorCode(error: unknown): number | undefined {
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'number') return code
    current = current.cause
  }
  return undefined
}

/** Whether an error is a node's "no such method" answer. */
export function isMethodNotServed(error: unknown): boolean {
  const code = rpcErrorCode(error)
  if (code !== undefined && notServed.has(code)) return true
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    const details = (current as { details?: unknown }).details
    if (notServedMessage.test(typeof details === 'string' ? details : current.message)) return true
    current = current.cause
  }
  return false
}

/**
 * Asks a node whether it serves `eth_sendRawTransactionSync` without sending anything: the method is
 * called with an empty transaction, which a node that serves it refuses as undecodable (any error
 * but "method not found"), and a node that does not refuses with `-32601`. A transport fault is
 * `unknown` (ask again later).
 *
 * @example
 * import { probeSendSync } from './probeSendSync.ts'
 * if ((await probeSendSync(client)) === 'supported') console.log('EIP-7966')
 * @see https://eips.ethereum.org/EIPS/eip-7966
 */
export async function probeSendSync(client: Client): Promise<SendSyncSupport> {
  try {
    await client.request(
      { method: 'eth_sendRawTransactionSync' as 'eth_sendRawTransaction', params: ['0x'] },
      {
        retryCount: 0,
      },
    )
    return 'supported' // no node accepts an empty transaction, but it did not deny the method
  } catch (error) {
    if (isMethodNotServed(error)) return 'unsupported'
    const name = error instanceof Error ? error.name : ''
    const network = /HttpRequestError|TimeoutError|AbortError/.test(name) && rpcErrorCode(error) === undefined
    return network ? 'unknown' : 'supported'
  }
}
