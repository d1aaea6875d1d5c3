import type { Transport } from 'viem'

/** A viem transport that counts its failed requests by JSON-RPC method (after its own retries). */
export function countingErrors(transport: Transport, onError: (method: string) => void): Transport {
  return ((parameters: Parameters<Transport>[0]) => {
    const built = transport(parameters)
    const request: typeof built.request = async (args, options) => {
      try {
        return await built.request(args, options)
      } catch (error) {
        onError(typeof args.method === 'string' ? args.method : 'unknown')
        throw error
      }
    }
    return { ...built, request }
  }) as Transport
}
