import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Context } from 'hono'

/**
 * The Hono context of the request each server was built for by {@link serveMcp} (one server per
 * request in stateless Streamable HTTP): a paid tool hands it to the facilitator, so credentials
 * may come from `c.env` on Workers.
 */
const contexts = new WeakMap<McpServer, Context>()

/** Records the request a server serves. */
export function bindRequest(server: McpServer, c: Context): void {
  contexts.set(server, c)
}

/** The request a server serves, when {@link serveMcp} built it. */
export function requestOf(server: McpServer): Context | undefined {
  return contexts.get(server)
}
