import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Context, Env, Handler } from 'hono'
import { bindRequest } from './requestContext.ts'

/** Options of {@link serveMcp}. */
export type ServeMcpOptions = {
  /** Largest request body accepted, in bytes (the SDK's `maxRequestBodySize`). Default the SDK's (4 MiB). */
  maxRequestBodySize?: number
}

/**
 * Serves MCP over Streamable HTTP (the MCP SDK's web-standard transport) from a Hono route, on Node
 * and Workers: stateless, a new server per request (`create(c)`, so tools may read `c.env`), JSON
 * responses. `POST` carries JSON-RPC; other methods get `405` (there is no session to stream to).
 *
 * @example
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
 * import { mcpPayments, serveMcp } from '@tollgate/mcp'
 *
 * const payments = mcpPayments({ facilitator })
 * app.all('/mcp', serveMcp((c) => {
 *   const server = new McpServer({ name: 'weather', version: '1.0.0' })
 *   payments.tool(server, 'get_weather', { inputSchema: { city: z.string() } }, { accepts }, async ({ city }) => ({
 *     content: [{ type: 'text', text: `Sunny in ${city}` }],
 *   }))
 *   return server
 * }))
 */
export function serveMcp<E extends Env = Env>(
  create: (c: Context<E>) => McpServer | Promise<McpServer>,
  options: ServeMcpOptions = {},
): Handler<E> {
  return async function serveMcp(c) {
    if (c.req.method !== 'POST') {
      return c.json(
        { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: send JSON-RPC with POST.' }, id: null },
        405,
        { Allow: 'POST' },
      )
    }
    const server = await create(c)
    bindRequest(server, c as unknown as Context)
    // No sessionIdGenerator: stateless, one transport per request.
    const transport = new WebStandardStreamableHTTPServerTransport({
      enableJsonResponse: true,
      ...(options.maxRequestBodySize === undefined ? {} : { maxRequestBodySize: options.maxRequestBodySize }),
    })
    await server.connect(transport)
    try {
      return await transport.handleRequest(c.req.raw)
    } finally {
      // JSON responses are complete when handleRequest resolves: nothing is left to stream.
      await server.close().catch(() => {})
    }
  }
}
