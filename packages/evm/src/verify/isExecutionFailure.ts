/**
 * Whether an `eth_call` error is the call's own failure (a revert, out of gas, a bad opcode), not the
 * node's (internal): walks the error and its causes for JSON-RPC code 3 or an EVM failure message.
 */
export function isExecutionFailure(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const { code, message, details } = current as { code?: unknown; message?: unknown; details?: unknown }
    if (code === 3) return true
    const text = `${typeof message === 'string' ? message : ''} ${typeof details === 'string' ? details : ''}`
    if (/revert|out of gas|outofgas|invalid opcode|invalidfeopcode|stack (?:under|over)flow/i.test(text)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}
