/**
 * A viem error chain as one line (each cause's `details` or message), and whether it is a transport
 * fault (the node may or may not have acted) rather than the node's answer.
 *
 * @example
 * const { message, network } = describeRpcError(error)
 */
export function describeRpcError(error: unknown): { message: string; network: boolean } {
  const parts: string[] = []
  let network = false
  let current: unknown = error
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    if (current.name === 'HttpRequestError' || current.name === 'TimeoutError' || current.name === 'AbortError') {
      network = true
    }
    const details = (current as { details?: unknown }).details
    parts.push(typeof details === 'string' && details ? details : current.message)
    current = current.cause
  }
  return { message: parts.join(' | ').slice(0, 500) || String(error), network }
}
