import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js'
import type { CallContext, FacilitatorClient } from '@tollgate/hono'
import {
  buildQuote,
  type CompiledOfferOf,
  callRequestId,
  checkExactPayload,
  compileDelivery,
  compileOffer,
  type Delivery,
  matchOffer,
  type OfferOptionsOf,
  type OptimisticOptions,
  optimisticRequest,
  type PaidCalls,
  type PricedShape,
  paidCall,
  paymentKey,
  type Quote,
  resolveOffers,
  staticOffers,
} from '@tollgate/hono/core'
import {
  ConfigError,
  errorInfo,
  isResourceUrl,
  isX402Error,
  type PaymentPayloadV2,
  type PaymentRequirementsV2,
  paymentPayloadSchema,
  type SettleResponse,
} from '@tollgate/protocol'
import type { Context } from 'hono'
import {
  overloaded,
  paymentErrorResult,
  paymentMetaKey,
  paymentRequiredResult,
  retryAfterSeconds,
  withReceipt,
} from './results.ts'

/** The SDK's `extra` of a tool call. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** The verified payment of the current tool call, as the paid handler reads it from `extra.payment`. */
export type ToolPayment = {
  /** The tool's name. */
  tool: string
  /** The offer the payment matched. */
  requirements: PaymentRequirementsV2
  /** `requirements.amount` as a bigint, in the asset's atomic units. */
  amount: bigint
  /** The payer's address as the facilitator reported it. */
  payer: string | undefined
  /** The payment as the client sent it in `_meta["x402/payment"]`. */
  payload: PaymentPayloadV2
  /** The settlement, for a tool that settles before it runs; `undefined` otherwise. */
  settlement: SettleResponse | undefined
}

/** The `extra` of a paid tool's handler: the SDK's, plus the payment. */
export type PaidToolExtra = ToolExtra & { payment: ToolPayment }

/** A paid tool's handler: the SDK's tool callback, with the payment in `extra.payment`. */
export type PaidToolHandler<A> = (args: A, extra: PaidToolExtra) => CallToolResult | Promise<CallToolResult>

/** How a tool is sold: the same offer options as a `@tollgate/hono` route, priced from the arguments. */
export type PaidToolOptions<A> = {
  /** One offer or several; `price` and `payTo` may be functions of the tool's (validated) arguments. */
  accepts: OfferOptionsOf<A> | readonly OfferOptionsOf<A>[]
  /** Shown to buyers in the PaymentRequired. Default `''`. */
  description?: string
  /** Media type of the result. Default `'application/json'`. */
  mimeType?: string
  /** The resource the PaymentRequired and the receipt name. Default `mcp://tool/<name>`. */
  resource?: string
  /**
   * `'after'` (default): verify, run the tool, settle only if its result is not `isError`.
   * `'before'`: settle first, then run the tool (for results that cannot be taken back).
   */
  settle?: 'after' | 'before'
  /**
   * `'settled'` (default): the result is given once the settlement's receipt is seen. `'optimistic'`:
   * once the payment is verified, reserved and its settlement transaction broadcast (settled first,
   * then the tool runs), within `optimistic`'s bounds and the facilitator's.
   */
  delivery?: Delivery
  /** The bounds of optimistic delivery, as a `@tollgate/hono` route's. */
  optimistic?: OptimisticOptions
}

/** What a paid tool needs from its server: the payments' state and the request it serves. */
export type PaidToolDeps = {
  facilitator: FacilitatorClient
  calls: PaidCalls
  /** The Hono context of the request the tool is called in, when known (credentials from `c.env`). */
  context?: (extra: ToolExtra) => Context | undefined
}

const toolName = /^[A-Za-z0-9_.-]{1,128}$/

/** Runs `compile`, naming this package in the ConfigErrors that the shared offer compiler throws. */
function renamed<T>(compile: () => T): T {
  try {
    return compile()
  } catch (error) {
    if (!isX402Error(error) || error.code !== 'invalid_config') throw error
    throw new ConfigError({
      message: error.shortMessage.replace(/^paymentRequired: /, 'mcpPayments: '),
      ...(error.details.length > 0 ? { details: [...error.details] } : {}),
    })
  }
}

function compileTool<A>(name: string, options: PaidToolOptions<A>) {
  const field = `tools[${JSON.stringify(name)}]`
  const fail = (what: string, message: string) => {
    throw new ConfigError({ message: `mcpPayments: ${field}${what}: ${message}` })
  }
  if (typeof name !== 'string' || !toolName.test(name)) fail('', 'a tool name is 1 to 128 of A-Z a-z 0-9 _ . -')
  if (options === null || typeof options !== 'object') fail('', 'must be { accepts, description?, ... }')
  const { description = '', mimeType = 'application/json', settle = 'after' } = options
  const resource = options.resource ?? `mcp://tool/${name}`
  if (typeof description !== 'string') fail('.description', 'must be a string')
  if (typeof mimeType !== 'string' || mimeType === '') fail('.mimeType', 'must be a media type')
  if (typeof resource !== 'string' || !URL.canParse(resource)) fail('.resource', 'must be a URL')
  if (settle !== 'after' && settle !== 'before') fail('.settle', 'must be "after" or "before"')
  const many = Array.isArray(options.accepts)
  const accepts = (
    many ? options.accepts : options.accepts === undefined ? [] : [options.accepts]
  ) as readonly OfferOptionsOf<A>[]
  if (accepts.length === 0) fail('.accepts', 'needs at least one offer')
  const offers: CompiledOfferOf<A>[] = accepts.map((offer, i) =>
    renamed(() => compileOffer(offer, many ? `${field}.accepts[${i}]` : `${field}.accepts`)),
  )
  const shape: PricedShape<A> = { description, mimeType, outputSchema: undefined, offers }
  const isStatic = offers.every((offer) => typeof offer.amount === 'bigint' && typeof offer.payTo === 'string')
  const delivery = renamed(() =>
    compileDelivery(
      field,
      options.delivery,
      options.optimistic,
      offers.map((offer) => offer.asset.decimals),
    ),
  )
  return { shape, resource, settle, delivery, isStatic }
}

/**
 * Wraps a tool's handler so that calling it costs what `options` says, with `@tollgate/hono`'s
 * paid call (verify, run, settle only on success; a replay never served twice; pending answered so
 * the client retries with the same payment). Throws a ConfigError naming the field on a bad option.
 *
 * @see specs/transports-v2/mcp.md
 */
export function paidTool<A>(
  deps: PaidToolDeps,
  name: string,
  options: PaidToolOptions<A>,
  handler: PaidToolHandler<A>,
): (args: A, extra: ToolExtra) => Promise<CallToolResult> {
  if (typeof handler !== 'function') {
    throw new ConfigError({ message: `mcpPayments: tools[${JSON.stringify(name)}]: the handler must be a function.` })
  }
  const { shape, resource, settle, delivery, isStatic } = compileTool(name, options)
  const { facilitator, calls } = deps
  const staticQuote = isStatic ? buildQuote(shape, resource, staticOffers(shape, resource)) : undefined

  const refused = (quote: Quote, reason: string, response?: SettleResponse) =>
    paymentRequiredResult({ ...quote.paymentRequired, error: reason }, response)

  return async function paidToolCall(args, extra) {
    const quote = staticQuote ?? buildQuote(shape, resource, await resolveOffers(shape, args, resource))
    const meta: Record<string, unknown> | undefined = extra?._meta
    const sent = meta?.[paymentMetaKey]
    if (sent === undefined || sent === null) return paymentRequiredResult(quote.paymentRequired)

    const parsed = paymentPayloadSchema.safeParse(sent)
    if (!parsed.success) return refused(quote, 'invalid_payload')
    const payload = parsed.data
    // The MCP transport is x402 v2 only (specs/transports-v2/mcp.md).
    if (payload.x402Version !== 2) return refused(quote, 'invalid_x402_version')
    const matched = matchOffer(quote.offers, payload)
    if (!matched) return refused(quote, 'payment_requirements_mismatch')
    // A malformed payment is the buyer's fault: refused here, the facilitator is never asked.
    if (checkExactPayload(payload) !== undefined) return refused(quote, 'invalid_payload')

    // Sent to the facilitator as X-Request-Id: the HTTP request's own id when plain, else a new one.
    const c = deps.context?.(extra)
    const context: CallContext = { requestId: callRequestId(c?.req.header('x-request-id')), c }
    const payment: ToolPayment = {
      tool: name,
      requirements: matched.v2,
      amount: matched.amount,
      payer: undefined,
      payload,
      settlement: undefined,
    }
    // Optimistic: settled first (delivered once broadcast), then the tool runs.
    const early = optimisticRequest(delivery, matched.amount, matched.asset.decimals)
    const outcome = await paidCall(calls, {
      facilitator,
      key: paymentKey(payload, matched, JSON.stringify(payload)),
      context,
      settle: early ? 'before' : settle,
      call: (claim) => ({
        x402Version: 2,
        paymentPayload: payload,
        paymentRequirements: matched.v2,
        // The tool is the resource the seller asserts (the receipt names it), never the buyer's echo.
        tollgate: { ...(isResourceUrl(resource) ? { claim, resource } : { claim }), ...early },
      }),
      run: async (paid) => {
        payment.payer = paid.payer
        payment.settlement = paid.settlement
        return await handler(args, { ...extra, payment })
      },
      // A call the client cancelled meanwhile: the SDK drops its result, so it must not be charged.
      failed: (result) => result.isError === true || extra?.signal?.aborted === true,
    })

    switch (outcome.status) {
      case 'busy':
        return paymentErrorResult({
          x402Version: 2,
          error: 'authorization_in_use',
          message: 'This payment is already being processed by another call; send it again once that call ends.',
        })
      case 'refused': {
        const { verdict } = outcome
        if (verdict.retryAfterSeconds !== undefined) return overloaded(verdict.retryAfterSeconds, verdict.reason)
        if (errorInfo(verdict.code).class === 'invalid') return refused(quote, verdict.reason)
        return paymentErrorResult({
          x402Version: 2,
          error: verdict.code,
          reason: verdict.reason,
          message: verdict.message ?? 'The payment could not be checked now; send the same payment again.',
        })
      }
      case 'unsettled': {
        // Whatever the tool returned is withheld: it was not paid for.
        const { result } = outcome
        const response: SettleResponse = result.response ?? {
          success: false,
          errorReason: result.reason,
          transaction: '',
          network: matched.v2.network,
        }
        const kind = errorInfo(result.code).class
        if (kind === 'pending') {
          return paymentErrorResult(
            {
              x402Version: 2,
              error: result.code,
              message:
                'The payment was submitted and is not confirmed yet. Do not pay again: send the same payment again.',
              transaction: response.transaction,
              network: response.network,
              retryAfterSeconds,
            },
            response,
          )
        }
        if (result.retryAfterSeconds !== undefined) return overloaded(result.retryAfterSeconds, result.reason, response)
        if (result.code === 'payment_already_delivered') {
          return paymentErrorResult({
            x402Version: 2,
            error: result.code,
            message: 'This payment was already delivered once; a new call needs a new payment.',
            transaction: response.transaction,
            network: response.network,
          })
        }
        if (kind === 'invalid') return refused(quote, result.reason, response)
        return paymentErrorResult(
          {
            x402Version: 2,
            error: result.code,
            reason: result.reason,
            message: result.message ?? 'The settlement outcome is not known yet; send the same payment again.',
          },
          response,
        )
      }
      case 'failed':
        return outcome.value
      case 'served':
        return withReceipt(outcome.value, outcome.settlement)
    }
  }
}
