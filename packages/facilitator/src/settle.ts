import { findPaymentUse, type VerifiedSignature } from '@tollgate/evm'
import type { ErrorCode, SettleResponse } from '@tollgate/protocol'
import type { Hex } from 'viem'
import type { Facilitator, FacilitatorNetwork } from './createFacilitator.ts'
import { handOff } from './outcome/handOff.ts'
import { answerOptimistic, deliverOptimistically } from './outcome/optimisticDelivery.ts'
import { awaitOutcome, confirm, recordSpent, responseOf } from './outcome/settlementOutcome.ts'
import { costVerdict } from './policy/costVerdict.ts'
import type { PayerSlot } from './policy/createPayerLimits.ts'
import { payerRefusal } from './policy/payerRefusal.ts'
import { attachReceipt } from './receipts/issueReceipt.ts'
import { callerMessage, faultDetail } from './request/callerMessage.ts'
import { type ExactPaymentRequest, parseFacilitatorRequest } from './request/parseFacilitatorRequest.ts'
import { samePayment } from './request/samePayment.ts'
import { verifyRequest } from './request/verifyRequest.ts'
import { claimSettlement, expire, giveBack, recordSubmission } from './store/ledger.ts'
import type { LedgerEntry } from './store/ledgerStore.ts'
import { newLedgerEntry } from './store/newLedgerEntry.ts'

/** What `POST /settle` replies, as the facilitator's HTTP layer sends it. */
export type SettleReply =
  /** A well-formed request: answer HTTP 200 with `response` (settled, pending or failed). */
  | { ok: true; response: SettleResponse }
  /** Malformed, or for a scheme/network we do not serve: answer HTTP 400 `{ error: code, message }`. */
  | { ok: false; code: ErrorCode; message: string; retryAfterSeconds?: undefined }
  /**
   * The facilitator cannot take this settlement now (its payer's queue is full, or its wait for a
   * slot ran out): our overload, not the caller's fault. Answer HTTP 503 `{ error: code, message }`
   * with `Retry-After: retryAfterSeconds`; nothing was claimed or sent.
   */
  | { ok: false; code: 'facilitator_unavailable'; message: string; retryAfterSeconds: number }

/** `Retry-After` of a settlement refused as overload, in seconds: about one Base block. */
const overloadRetryAfterSeconds = 2

const noSignerMessage = 'No settlement signer can pay for gas now, on this node or another; retry.'

const overloadMessage = {
  queue_full: 'The facilitator is busy: too many settlements of this payer are waiting; retry.',
  timeout: 'The facilitator is busy: this settlement waited too long behind others of this payer; retry.',
} as const

async function submit(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
  signature: VerifiedSignature,
  batched: boolean,
): Promise<SettleResponse> {
  const { store } = facilitator
  const { chain } = request
  const sent = await chain.settler.submit({
    ...(batched ? { batched } : {}),
    ...(request.optimistic && request.claim !== undefined ? { optimistic: true } : {}),
    asset: request.requirements.asset,
    authorization: request.authorization,
    signature,
    beforeBroadcast: async ({ hash, nonce, signer }) => {
      const submission = { transaction: hash, signerNonce: nonce, signer }
      const recorded = await recordSubmission(store, request.id, submission, { now: facilitator.now() })
      if (!recorded.ok) throw new Error(`the ledger refused submitted for ${request.id}`)
    },
  })
  if (!sent.ok) {
    // The engine's message is the RPC node's text: logged (URLs redacted), never answered.
    facilitator.logError(faultDetail(`settle ${sent.code}`, sent.message))
    // Nothing reached the chain: give the claim (and the reservation) back so the payment can be
    // verified and settled again.
    await giveBack(store, request.id, ['settling', 'submitted'], { now: facilitator.now() })
    return {
      success: false,
      errorReason: sent.code,
      errorMessage: callerMessage(sent.code),
      payer: request.authorization.from,
      transaction: '',
      network: request.network,
    }
  }
  const entry = await store.get(request.id)
  if (!entry) throw new Error(`ledger entry ${request.id} disappeared`)
  // Broadcast: delivered now when optimistic delivery was asked and the exposure allows it.
  const early = await deliverOptimistically(facilitator, request, entry)
  if (early) return early
  return responseOf(request, await confirm(facilitator, chain, entry))
}

async function settleOnce(facilitator: Facilitator, request: ExactPaymentRequest): Promise<SettleResponse> {
  const { store } = facilitator
  const { chain } = request
  const payer = request.authorization.from
  const fail = (code: ErrorCode, message?: string): SettleResponse => ({
    success: false,
    errorReason: code,
    ...(message ? { errorMessage: message } : {}),
    payer,
    transaction: '',
    network: request.network,
  })
  if (request.mismatch) return fail(request.mismatch)

  // A recorded outcome answers only a request for that same payment: an authorization replayed
  // against other requirements (another price or payee) gets the mismatch, never the old success.
  const { authorization, requirements } = request
  if (authorization.to.toLowerCase() !== requirements.payTo.toLowerCase()) {
    return fail('invalid_exact_evm_payload_recipient_mismatch')
  }
  if (authorization.value !== requirements.amount) {
    return fail(
      request.x402Version === 1
        ? 'invalid_exact_evm_payload_authorization_value'
        : 'invalid_exact_evm_payload_authorization_value_mismatch',
    )
  }

  // This payer's in-flight slot, taken once its settlement has work to do and held until it answers.
  let slot: PayerSlot | undefined
  let rounds = 0
  try {
    while (rounds < 3) {
      const entry = await store.get(request.id)
      if (entry) {
        if (entry.payloadHash !== request.payloadHash) return fail('authorization_in_use')
        switch (entry.state) {
          case 'settled':
          case 'preconfirmed':
          case 'failed':
          case 'expired':
            return responseOf(request, entry)
          case 'submitted':
            // Delivered optimistically: answered from the row at once (the settlement finishes in the background).
            if (entry.optimistic && request.claim !== undefined) return answerOptimistic(request, entry)
            return responseOf(request, await confirm(facilitator, chain, entry))
          case 'settling': {
            const outcome = await awaitOutcome(facilitator, chain, request.id)
            if (outcome && outcome.state !== 'reserved') return responseOf(request, outcome)
            rounds++
            continue
          }
          default:
            // Reserved by another resource-server request whose lease runs: only that request settles it now.
            if (
              entry.state === 'reserved' &&
              entry.holder !== undefined &&
              entry.holder !== request.claim &&
              entry.reservedUntil !== undefined &&
              entry.reservedUntil > facilitator.now()
            ) {
              return fail('authorization_in_use', 'Another request holds the reservation of this authorization.')
            }
            break // reserved or released: verify and claim
        }
      }
      // Abuse limits before any RPC: nothing below the minimum, nothing from a payer in cool-off.
      const refused = payerRefusal(facilitator, request)
      if (refused) return fail(refused.code, refused.message)
      if (!slot) {
        // A cap on this payer's settlements in flight here (one payer cannot take the signer's
        // throughput): past it this one waits its turn, bounded; a full queue or a wait run out is
        // our overload (`facilitator_unavailable`, HTTP 503), never a refusal of the payment.
        const taken = await facilitator.payerLimits.acquire(chain.network, payer)
        if (!taken.ok) return fail('facilitator_unavailable', overloadMessage[taken.reason])
        slot = taken
        // After a wait the row may have moved, or the payer gone into cool-off: read both again.
        if (taken.waited) continue
      }
      const result = await settleInSlot(facilitator, request, entry, fail)
      if (result !== 'again') return result
      rounds++
    }
    return fail('authorization_in_use', 'The authorization changed hands while settling; ask again.')
  } finally {
    slot?.leave()
  }
}

/**
 * One round of {@link settleOnce} once the payer's slot is held: verify as sent, reserve, claim and
 * submit. `'again'`: the row moved under us (another settler); read it again.
 */
async function settleInSlot(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
  entry: LedgerEntry | undefined,
  fail: (code: ErrorCode, message?: string) => SettleResponse,
): Promise<SettleResponse | 'again'> {
  const { store } = facilitator
  const { chain } = request
  // Nobody can sign now: said at once (HTTP 503, Retry-After), with nothing claimed or left to settle.
  const signing = await chain.settler.availability('eoa')
  if (signing === 'none') return fail('facilitator_unavailable', noSignerMessage)
  // /settle never trusts an earlier /verify: the chain may have moved since. And it simulates the
  // transaction as it will be sent (sender, gas limit, fees), for every payer.
  let verified: Awaited<ReturnType<FacilitatorNetwork['verify']>>
  try {
    // Screened again here, just before signing: a list refreshed since /verify counts.
    verified = await verifyRequest(facilitator.now(), request, {
      asSent: true,
      screening: facilitator.screening,
      phase: 'settle',
    })
  } catch (error) {
    facilitator.logError(faultDetail('settle: verify', error))
    return fail('unexpected_settle_error', callerMessage('unexpected_settle_error'))
  }
  if (!verified.ok) {
    // Another settler sharing the ledger may have claimed and sent it while this one verified (the
    // simulation as sent then fails on the spent nonce): its outcome is the answer.
    const moved = await store.get(request.id)
    if (moved && moved.state !== entry?.state) return 'again'
    // Handed over to this node, and no longer valid: back to its requester, which judges it itself.
    if (entry?.state === 'requested') {
      await giveBack(store, request.id, ['requested'], { now: facilitator.now() })
      return 'again'
    }
    if (entry?.state === 'reserved' && verified.code === 'invalid_exact_evm_nonce_already_used') {
      // Our reservation's nonce, already spent on chain: by this payment (a settlement whose answer
      // was lost, or the payer's own submission of it), then the payee was paid and the chain
      // answers; or by another authorization of the payer, then this payment failed for good.
      const spender = await findPaymentUse(chain.client, entry).catch(() => undefined)
      if (spender) return responseOf(request, await recordSpent(facilitator, entry, spender))
    }
    if (entry?.state === 'reserved' && verified.code === 'invalid_exact_evm_payload_authorization_valid_before') {
      await expire(store, request.id, 'reserved', { now: facilitator.now() })
    }
    return fail(verified.code, verified.message)
  }
  const cost = await costVerdict(request, verified.signature)
  if (!cost.ok) return fail(cost.code, cost.message)
  if (!entry || entry.state === 'released') {
    const reserved = await store.reserve(newLedgerEntry(request, facilitator.now()))
    if (!reserved.ok) return 'again'
  }
  if (signing === 'elsewhere') {
    // Another node of the shared ledger holds the signer: it settles, and the ledger answers here.
    const outcome = await handOff(facilitator, chain, request.id)
    return outcome && outcome.state !== 'reserved' ? responseOf(request, outcome) : 'again'
  }
  const claim = await claimSettlement(store, request.id, { now: facilitator.now(), owner: facilitator.nodeId })
  if (!claim.ok) return 'again' // another settler won: read what it did
  return await submit(facilitator, request, verified.signature, cost.batched)
}

/**
 * `POST /settle`: re-verifies the payment (it may come without `/verify`), claims it in the ledger
 * (`reserved -> settling`, a compare-and-set: one settler wins), submits `transferWithAuthorization`
 * from the network's settlement signer (`submitted` is written with the hash and signer nonce before
 * broadcast), waits for the receipt up to `receiptTimeoutMs` and checks the `Transfer` event
 * (`settled`, or `failed` with `invalid_exact_evm_transaction_failed` /
 * `invalid_exact_evm_transfer_event_mismatch`). A receipt that does not come in time is
 * `settlement_pending` with the transaction hash.
 *
 * Idempotent per authorization: the same payload settled again, concurrently in this process or
 * later from any process sharing the Store, gets the first outcome and never a second transaction.
 * Delivery is once per payment: a request carrying Tollgate's `tollgate.claim` gets `success: true`
 * only if its claim takes the payment's one delivery (or already holds it); another claim gets
 * `payment_already_delivered` with the transaction. A caller without a claim (a plain x402 resource
 * server) gets the settled answer every time, and must itself not serve a payment twice.
 *
 * A payer with `maxInFlightPerPayer` settlements in flight on this node makes the next one wait its
 * turn (first in, first out, bounded in number and time); one that cannot wait is answered
 * `{ ok: false, code: 'facilitator_unavailable', retryAfterSeconds }`: HTTP 503 with `Retry-After`.
 *
 * @example
 * import { settle } from '@tollgate/facilitator'
 * const result = await settle(facilitator, await c.req.json())
 * if (!result.ok && result.retryAfterSeconds !== undefined) {
 *   c.header('Retry-After', String(result.retryAfterSeconds))
 *   return c.json({ error: result.code, message: result.message }, 503)
 * }
 * return result.ok ? c.json(result.response) : c.json({ error: result.code, message: result.message }, 400)
 * @see x402-protocol reference §3.1, §4.3; architecture.md (The ledger)
 */
export async function settle(facilitator: Facilitator, body: unknown): Promise<SettleReply> {
  const parsed = parseFacilitatorRequest(facilitator, body)
  if (!parsed.ok) return parsed
  const response = await settlePayment(facilitator, parsed.request)
  // Only our overload answers `facilitator_unavailable` here (nothing was claimed or sent): the HTTP
  // layer answers it 503 with Retry-After, not as a verdict on the payment.
  if (!response.success && response.errorReason === 'facilitator_unavailable') {
    return {
      ok: false,
      code: 'facilitator_unavailable',
      message: response.errorMessage ?? overloadMessage.timeout,
      retryAfterSeconds: overloadRetryAfterSeconds,
    }
  }
  return { ok: true, response }
}

/** {@link settle} of a payment already parsed: the same checks, claim, delivery and receipt (`resettle`). */
export async function settlePayment(facilitator: Facilitator, request: ExactPaymentRequest): Promise<SettleResponse> {
  const earlier = await samePayment(facilitator, request)
  const response =
    (earlier && (await settleSamePayment(facilitator, request, earlier))) ||
    (await settleDelivered(facilitator, request))
  return attachReceipt(facilitator, request, response)
}

/** Settles once per payload in this process, then takes the delivery for the request's claim, if it has one. */
async function settleDelivered(facilitator: Facilitator, request: ExactPaymentRequest): Promise<SettleResponse> {
  const key = `${request.id}|${request.payloadHash}|${request.network}|${request.claim ?? ''}`
  let running = facilitator.inflight.get(key)
  if (!running) {
    running = settleOnce(facilitator, request)
      .catch((error): SettleResponse => {
        facilitator.logError(faultDetail('settle', error))
        return {
          success: false,
          errorReason: 'unexpected_settle_error',
          errorMessage: callerMessage('unexpected_settle_error'),
          payer: request.authorization.from,
          transaction: '',
          network: request.network,
        }
      })
      .finally(() => facilitator.inflight.delete(key))
    facilitator.inflight.set(key, running)
  }
  const response = await running
  if (!response.success || request.claim === undefined) return response
  return takeDelivery(facilitator, request.id, request.claim, response)
}

/**
 * `/settle` of another authorization of a payment already under way (the buyer's `payment-identifier`
 * id): answered from the earlier one, whose delivery the claim may take; the new one is never sent.
 * `undefined` when the earlier payment is only reserved and free: then this authorization settles.
 */
async function settleSamePayment(
  facilitator: Facilitator,
  request: ExactPaymentRequest,
  earlier: LedgerEntry,
): Promise<SettleResponse | undefined> {
  const { chain } = request
  let entry: LedgerEntry | undefined = earlier
  if (entry.state === 'settling' || entry.state === 'requested')
    entry = await awaitOutcome(facilitator, chain, entry.id)
  else if (entry.state === 'submitted') entry = await confirm(facilitator, chain, entry)
  if (entry?.state === 'reserved') {
    if (entry.reservedUntil === undefined || entry.reservedUntil <= facilitator.now()) return undefined
    return {
      success: false,
      errorReason: 'authorization_in_use',
      errorMessage: 'An earlier authorization of this payment-identifier is reserved by another request.',
      payer: entry.payer,
      transaction: '',
      network: request.network,
    }
  }
  const response = responseOf(request, entry ?? earlier)
  if (!response.success || request.claim === undefined) return response
  return takeDelivery(facilitator, earlier.id, request.claim, response)
}

/**
 * The one delivery a settled payment allows, taken for the request that sent `claim` (compare-and-set
 * in the ledger, shared by every node): the first claim to ask gets the settled answer, and so does
 * the same claim asking again (its answer was lost); any other gets `payment_already_delivered`.
 */
async function takeDelivery(
  facilitator: Facilitator,
  id: string,
  claim: Hex,
  settled: SettleResponse,
): Promise<SettleResponse> {
  const taken = await facilitator.store.swapDelivery(id, {
    expected: undefined,
    next: claim,
    now: facilitator.now(),
  })
  if (taken.ok || taken.entry?.deliveredTo === claim) return settled
  return {
    ...settled,
    success: false,
    errorReason: 'payment_already_delivered',
    errorMessage: 'This payment settled and was delivered once, to another request; a new request needs a new payment.',
  }
}
