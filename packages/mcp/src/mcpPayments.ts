import type { McpServer, RegisteredTool, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js'
import type {
  AnySchema,
  SchemaOutput,
  ShapeOutput,
  ZodRawShapeCompat,
} from '@modelcontextprotocol/sdk/server/zod-compat.js'
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import type { FacilitatorClient } from '@tollgate/hono'
import { createPaidCalls } from '@tollgate/hono/core'
import { ConfigError } from '@tollgate/protocol'
import { type PaidToolHandler, type PaidToolOptions, paidTool, type ToolExtra } from './paidTool.ts'
import { requestOf } from './requestContext.ts'

/** Options of {@link mcpPayments}. */
export type McpPaymentsOptions = {
  /** Where payments are verified and settled: `httpFacilitator({ url })` of `@tollgate/hono`, or any FacilitatorClient. */
  facilitator: FacilitatorClient
}

/** A tool's input: a zod raw shape (`{ city: z.string() }`) or an object schema. */
export type ToolInput = ZodRawShapeCompat | AnySchema

/** The validated arguments of a tool with input `S`. */
export type ToolArgs<S extends ToolInput> = S extends ZodRawShapeCompat
  ? ShapeOutput<S>
  : S extends AnySchema
    ? SchemaOutput<S>
    : never

/** What `registerTool` takes, with `inputSchema` required (use `{}` for a tool without arguments). */
export type PaidToolConfig<S extends ToolInput, O extends ToolInput> = {
  title?: string
  description?: string
  inputSchema: S
  outputSchema?: O
  annotations?: ToolAnnotations
  _meta?: Record<string, unknown>
}

/** Paid tools for MCP servers, sharing one facilitator and one record of payments in flight. */
export type McpPayments = {
  /**
   * Registers a paid tool on `server` (`server.registerTool` with the handler wrapped). The
   * PaymentRequired's description defaults to the tool's.
   */
  tool<S extends ToolInput, O extends ToolInput = ToolInput>(
    server: McpServer,
    name: string,
    config: PaidToolConfig<S, O>,
    options: PaidToolOptions<ToolArgs<S>>,
    handler: PaidToolHandler<ToolArgs<S>>,
  ): RegisteredTool
  /** The wrapped handler alone, for `registerTool` yourself (no Hono context reaches the facilitator). */
  paid<A>(
    name: string,
    options: PaidToolOptions<A>,
    handler: PaidToolHandler<A>,
  ): (args: A, extra: ToolExtra) => Promise<CallToolResult>
}

/**
 * Paid MCP tools, priced like `@tollgate/hono` routes (static or computed from the arguments), with
 * the same guarantees: an unpaid call gets the x402 PaymentRequired (`isError: true`,
 * `structuredContent`); a paid call (`_meta["x402/payment"]`) is verified, runs, and is settled only
 * when the result is not `isError`; the result carries the settlement in
 * `_meta["x402/payment-response"]`; a failed settlement withholds the result; a replayed payment is
 * never served twice; a pending settlement answers `settlement_pending` with `retryAfterSeconds`
 * and no `accepts`, so the client sends the same payment again. Create one per app, at startup.
 *
 * @example
 * import { httpFacilitator } from '@tollgate/hono'
 * import { mcpPayments } from '@tollgate/mcp'
 *
 * const payments = mcpPayments({ facilitator: httpFacilitator({ url: 'http://127.0.0.1:4020' }) })
 * payments.tool(server, 'get_forecast', { inputSchema: { days: z.number().int().min(1).max(7) } }, {
 *   accepts: { network: 'eip155:8453', price: ({ days }) => 1000n * BigInt(days), payTo },
 * }, async ({ days }) => ({ content: [{ type: 'text', text: `${days} days of sun` }] }))
 *
 * @see specs/transports-v2/mcp.md
 */
export function mcpPayments(options: McpPaymentsOptions): McpPayments {
  const facilitator = options?.facilitator
  if (
    facilitator === null ||
    typeof facilitator !== 'object' ||
    typeof facilitator.verify !== 'function' ||
    typeof facilitator.settle !== 'function'
  ) {
    throw new ConfigError({
      message: 'mcpPayments: facilitator must have verify() and settle(), e.g. httpFacilitator({ url }).',
    })
  }
  const calls = createPaidCalls()
  return {
    tool(server, name, config, pricing, handler) {
      const wrapped = paidTool(
        { facilitator, calls, context: () => requestOf(server) },
        name,
        { description: config.description ?? '', ...pricing },
        handler,
      )
      return server.registerTool(name, config, wrapped as unknown as ToolCallback<typeof config.inputSchema>)
    },
    paid(name, pricing, handler) {
      return paidTool({ facilitator, calls }, name, pricing, handler)
    },
  }
}
