import { X402Error } from '@tollgate/protocol'

/**
 * Thrown when the chain cannot be asked (transport failure, RPC error, Multicall3 missing). The
 * payment may be fine: the same request can be retried (`rpc_unavailable` is `retryable`).
 *
 * @example
 * try { await verify(parameters) } catch (error) { if (error instanceof RpcUnavailableError) … }
 */
export class RpcUnavailableError extends X402Error {
  override name = 'RpcUnavailableError'

  constructor({ message, details, cause }: { message: string; details?: readonly string[]; cause?: unknown }) {
    super({ code: 'rpc_unavailable', message, ...(details ? { details } : {}), cause })
  }
}
