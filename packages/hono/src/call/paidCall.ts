import {
  type ErrorCode,
  errorInfo,
  exactEvmPayloadSchema,
  type PaymentPayload,
  type SettleResponse,
} from '@tollgate/protocol'
import type { Context } from 'hono'
import type {
  CallContext,
  FacilitatorCall,
  FacilitatorClient,
  SettleResult,
  VerifyResult,
} from '../facilitator/facilitatorClient.ts'
import { newClaim } from './newClaim.ts'
import type { QuotedOffer } from './quote.ts'

/** A refused verification, as {@link paidCall} reports it. */
export type VerifyFailure = Extract<VerifyResult, { ok: false }>
/** A settlement that did not succeed (failed, pending, already delivered, facilitator down). */
export type SettleFailure = Extract<SettleResult, { ok: false }>

/**
 * The paid calls of one seller (a middleware, an MCP server): the payments being processed in this
 * process, so the same authorization sent twice at once is served once (the facilitator guards
 * across processes), and the delivery claims of calls whose settlement outcome was lost, so a retry
 * of the same payment takes the delivery that call never got. Create one per seller, at startup.
 */
export type PaidCalls = {
  readonly inFlight: Set<string>
  readonly unresolved: Map<string, string>
}

/** Claims kept for lost settlement outcomes (the oldest goes first). */
const unresolvedLimit = 256

/** The state of one seller's paid calls (see {@link PaidCalls}). */
export function createPaidCalls(): PaidCalls {
  return { inFlight: new Set(), unresolved: new Map() }
}

/** What the paid work learns of the payment before it runs. */
export type PaidRun = {
  payer: string | undefined
  /** The settlement, when the call settles before it runs (`settle: 'before'`, or a resumed payment). */
  settlement: SettleResponse | undefined
}

/** Parameters of {@link paidCall}. */
export type PaidCallParameters<T> = {
  facilitator: FacilitatorClient
  /** The payment's identity ({@link paymentKey}): one paid call per key at a time. */
  key: string
  /** The facilitator call for this payment, carrying `claim` as its `tollgate.claim`. */
  call(claim: string): FacilitatorCall
  /** The buyer request's id and, in Hono, its context (credentials from `c.env`). */
  context: CallContext
  /** `'after'`: verify, run, settle only on success. `'before'`: settle, then run. */
  settle: 'after' | 'before'
  /** The paid work (the route handler, the tool). */
  run(paid: PaidRun): Promise<T>
  /** Whether the work failed (status >= 400, `isError`): then nothing is charged. */
  failed(value: T): boolean
}

/**
 * The outcome of {@link paidCall}:
 * - `busy`: the same payment is being processed by another call (409 `authorization_in_use`);
 * - `refused`: verification failed, the work did not run;
 * - `unsettled`: settlement did not succeed; the work's result (if it `ran`) must be withheld;
 * - `failed`: the work failed and nothing was charged (the reservation was given back);
 * - `served`: deliver `value` with the `settlement` (with `failed` the work failed after a settlement
 *   that came first; its delivery was given back so the same payment is served on a retry).
 */
export type PaidCallOutcome<T> =
  | { status: 'busy' }
  | { status: 'refused'; verdict: VerifyFailure }
  | { status: 'unsettled'; result: SettleFailure; ran: boolean }
  | { status: 'failed'; value: T }
  | { status: 'served'; value: T; settlement: SettleResponse; failed: boolean }

/** Verify answers for a payment already being settled or settled: its retry asks `/settle` instead. */
const resumable: ReadonlySet<ErrorCode> = new Set([
  'settlement_pending',
  'invalid_exact_evm_nonce_already_used',
  'duplicate_settlement',
])

/**
 * The identity of a payment: for an `exact` EVM payload the authorization itself (network, asset,
 * payer, nonce), whatever the version or encoding it came in; otherwise `fallback` (the header or
 * payload as sent).
 */
export function paymentKey(payload: PaymentPayload, matched: QuotedOffer, fallback: string): string {
  const parsed = exactEvmPayloadSchema.safeParse(payload.payload)
  if (!parsed.success) return fallback
  const { from, nonce } = parsed.data.authorization
  return `${matched.v2.network} ${matched.v2.asset.toLowerCase()} ${from.toLowerCase()} ${nonce.toLowerCase()}`
}

/** An incoming `X-Request-Id` is forwarded only when short and plain. */
const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The id a paid call carries to the facilitator as `X-Request-Id`, so both sides' logs meet: the
 * buyer's own (`incoming`) when it is short and plain, else a new one.
 */
export function callRequestId(incoming: string | undefined): string {
  return incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID()
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

async function verifySafely(
  facilitator: FacilitatorClient,
  call: FacilitatorCall,
  context: CallContext,
): Promise<VerifyResult> {
  try {
    return await facilitator.verify(call, context)
  } catch (error) {
    return { ok: false, code: 'facilitator_unavailable', reason: 'facilitator_unavailable', message: describe(error) }
  }
}

async function settleSafely(
  facilitator: FacilitatorClient,
  call: FacilitatorCall,
  context: CallContext,
): Promise<SettleResult> {
  try {
    return await facilitator.settle(call, context)
  } catch (error) {
    return { ok: false, code: 'facilitator_unavailable', reason: 'facilitator_unavailable', message: describe(error) }
  }
}

/** Gives an unused reservation back, if the facilitator can; never throws. */
async function releaseSafely(
  facilitator: FacilitatorClient,
  call: FacilitatorCall,
  context: CallContext,
): Promise<void> {
  try {
    await facilitator.release?.(call, context)
  } catch {
    // The reservation then ends with its lease.
  }
}

/** Whether the facilitator binds delivery to the call's claim; never throws. */
async function deliveryClaims(facilitator: FacilitatorClient, c: Context | undefined): Promise<boolean> {
  try {
    return (await facilitator.deliveryClaims?.(c)) === true
  } catch {
    return false
  }
}

/**
 * One paid call, whatever carries it (an HTTP route, an MCP tool): verify, run the work, settle only
 * when it succeeded; or settle first, then run. A payment is processed by one call at a time; a
 * payment the facilitator already holds (a retry of a pending one) is settled for this call only when
 * the facilitator binds delivery to the claim, so a replay is never served twice. A settlement whose
 * outcome was lost keeps its claim, so the retry of the same payment takes up the delivery.
 *
 * @example
 * const calls = createPaidCalls()
 * const outcome = await paidCall(calls, {
 *   facilitator, key, context: {}, settle: 'after',
 *   call: (claim) => ({ x402Version: 2, paymentPayload, paymentRequirements, tollgate: { claim } }),
 *   run: async () => compute(),
 *   failed: (value) => value.isError === true,
 * })
 */
export async function paidCall<T>(calls: PaidCalls, parameters: PaidCallParameters<T>): Promise<PaidCallOutcome<T>> {
  const { facilitator, key, context, run, failed } = parameters
  if (calls.inFlight.has(key)) return { status: 'busy' }
  // A call whose settlement outcome was lost left its claim here: a retry of the same payment takes
  // it up, so it is served the delivery that call never got.
  const claim = calls.unresolved.get(key) ?? newClaim()
  calls.unresolved.delete(key)
  const call = parameters.call(claim)

  /** A settlement that did not succeed: keeps the claim if its outcome is unknown. */
  const unsettled = (result: SettleFailure, ran: boolean): PaidCallOutcome<T> => {
    if (errorInfo(result.code).class === 'retryable') {
      if (calls.unresolved.size >= unresolvedLimit) {
        calls.unresolved.delete(calls.unresolved.keys().next().value as string)
      }
      calls.unresolved.set(key, claim)
    }
    return { status: 'unsettled', result, ran }
  }

  /** Runs the work; if it throws, the reservation (or delivery) is given back first. */
  const runOnce = async (paid: PaidRun): Promise<T> => {
    try {
      return await run(paid)
    } catch (error) {
      await releaseSafely(facilitator, call, context)
      throw error
    }
  }

  /** Settles first, then runs the work on the facilitator's word that this call may deliver. */
  const settleThenServe = async (): Promise<PaidCallOutcome<T>> => {
    const settled = await settleSafely(facilitator, call, context)
    if (!settled.ok) return unsettled(settled, false)
    const value = await runOnce({ payer: settled.response.payer ?? undefined, settlement: settled.response })
    // Paid, and the work failed: give the delivery back, so the same payment is served on a retry.
    const didFail = failed(value)
    if (didFail) await releaseSafely(facilitator, call, context)
    return { status: 'served', value, settlement: settled.response, failed: didFail }
  }

  calls.inFlight.add(key)
  try {
    if (parameters.settle === 'before') return await settleThenServe()

    const verdict = await verifySafely(facilitator, call, context)
    if (!verdict.ok) {
      // Already being settled or settled: a retry of a payment whose answer was pending. Only a
      // facilitator that binds delivery to the claim may be asked to settle it for this call.
      if (resumable.has(verdict.code) && (await deliveryClaims(facilitator, context.c))) return await settleThenServe()
      return { status: 'refused', verdict }
    }
    const value = await runOnce({ payer: verdict.payer, settlement: undefined })
    // The work failed: nothing is charged; the reservation is given back (when the facilitator
    // supports it) so the same payment can be used again at once, else it ends with its lease.
    if (failed(value)) {
      await releaseSafely(facilitator, call, context)
      return { status: 'failed', value }
    }
    const settled = await settleSafely(facilitator, call, context)
    if (!settled.ok) return unsettled(settled, true)
    return { status: 'served', value, settlement: settled.response, failed: false }
  } finally {
    calls.inFlight.delete(key)
  }
}
