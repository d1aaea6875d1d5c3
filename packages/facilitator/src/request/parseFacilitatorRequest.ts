import { type ExactAuthorization, type ExactRequirements, toExactAuthorization } from '@tollgate/evm'
import {
  type ErrorCode,
  type ExactEvmPayload,
  exactEvmPayloadSchema,
  type FacilitatorRequest,
  type FacilitatorRequestV2,
  facilitatorRequestSchema,
  facilitatorRequestV1Schema,
  facilitatorRequestV2Schema,
  isResourceUrl,
  type PaymentRequirementsV1,
  type PaymentRequirementsV2,
  toCaip2,
} from '@tollgate/protocol'
import type { Address, Hex } from 'viem'
import { bytesToHex, keccak256, toBytes } from 'viem'
import type { Facilitator, FacilitatorNetwork } from '../createFacilitator.ts'
import { authorizationId } from './authorizationId.ts'

/** A `/verify` or `/settle` body for the `exact` scheme, resolved to one of our networks. */
export type ExactPaymentRequest = {
  x402Version: 1 | 2
  /** The network as the request names it (v1 name or CAIP-2), echoed in responses. */
  network: string
  chain: FacilitatorNetwork
  authorization: ExactAuthorization
  signature: Hex
  requirements: ExactRequirements
  /** {@link authorizationId} of the payment. */
  id: string
  /**
   * The authorization's EIP-712 digest under the asset's domain (a keccak of the fields for an
   * unknown asset): the same id with another authorization is a conflict, while another encoding
   * of the same signed authorization is the same payment.
   */
  payloadHash: Hex
  /** The same digest as bytes, handed to the verifier; absent for an unknown asset. */
  digest?: Uint8Array
  /** Set when the payload contradicts the requirements (answered as an invalid payment, not a 400). */
  mismatch?: ErrorCode
  /**
   * Digest of the resource server's `tollgate.claim` for this buyer request: the reservation's holder
   * and the one request allowed to deliver. Absent when the caller sent none (a plain x402 client).
   */
  claim?: Hex
  /**
   * The buyer's `payment-identifier` id (v2 `paymentPayload.extensions`), as a digest scoped to
   * (chain, asset, payer, payTo, amount): another authorization under the same key is the same payment.
   */
  paymentKey?: Hex
  /** The paid resource, for the receipt, as the resource server names it (`tollgate.resource`, or a v1 server's requirements); never the buyer's. */
  resourceUrl?: string
  /** `0x` and the SHA-256 of the delivered response body (`tollgate.responseHash`), for the receipt. */
  responseHash?: Hex
  /**
   * Asked for optimistic delivery (`tollgate.delivery: 'optimistic'`), with the resource server's own
   * exposure bounds in atomic units (`tollgate.exposure`), when it sent them.
   */
  optimistic?: { maxPerPayer?: bigint; maxPerSeller?: bigint }
}

export type ParseFacilitatorRequestResult =
  | { ok: true; request: ExactPaymentRequest }
  /** The request is malformed or names something we do not serve: answer 400 `{ error: code, message }`. */
  | { ok: false; code: ErrorCode; message: string }

const addressPattern = /^0x[0-9a-fA-F]{40}$/
const bytes32Pattern = /^0x[0-9a-fA-F]{64}$/
const signaturePattern = /^0x(?:[0-9a-fA-F]{2})+$/
const uintPattern = /^(?:0|[1-9][0-9]{0,77})$/
/** A `tollgate.claim` or a `payment-identifier` id (both 16-128 base64url characters). */
const tokenPattern = /^[A-Za-z0-9_-]{16,128}$/
const caip2Pattern = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/
const responseHashPattern = /^0x[0-9a-f]{64}$/
const isUint = (value: unknown): value is string =>
  typeof value === 'string' && uintPattern.test(value) && (value.length < 78 || BigInt(value) < 2n ** 256n)
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isFilled = (value: unknown): value is string => typeof value === 'string' && value.length > 0
const isOptionalString = (value: unknown) => value === undefined || typeof value === 'string'
/** What zod's `record` accepts, narrowed to plain JSON objects (no symbol keys, no own `constructor`). */
const isJsonObject = (value: unknown) =>
  isObject(value) &&
  Object.getPrototypeOf(value) === Object.prototype &&
  !Object.hasOwn(value, 'constructor') &&
  Object.getOwnPropertySymbols(value).length === 0

/** `paymentRequirementsV2Schema`, checked by hand (see {@link fastFacilitatorRequestV2}). */
function isRequirementsV2(value: unknown): boolean {
  if (!isObject(value)) return false
  const { scheme, network, amount, asset, payTo, maxTimeoutSeconds, extra } = value
  return (
    isFilled(scheme) &&
    typeof network === 'string' &&
    caip2Pattern.test(network) &&
    isUint(amount) &&
    isFilled(asset) &&
    isFilled(payTo) &&
    Number.isSafeInteger(maxTimeoutSeconds) &&
    (maxTimeoutSeconds as number) > 0 &&
    (extra === undefined || isJsonObject(extra))
  )
}

/**
 * The common case of `facilitatorRequestV2Schema`, checked by hand: accepts only what the schema
 * accepts. Its output is the body itself, which the schema's would equal key for key (its objects
 * are loose and its transforms are casts). Anything else goes through zod, which decides and explains.
 */
function fastFacilitatorRequestV2(body: Record<string, unknown>): FacilitatorRequestV2 | undefined {
  const { x402Version, paymentPayload, paymentRequirements, tollgate } = body
  if ((x402Version !== undefined && x402Version !== 2) || !isObject(paymentPayload)) return undefined
  if (
    tollgate !== undefined &&
    !(
      isObject(tollgate) &&
      typeof tollgate.claim === 'string' &&
      tokenPattern.test(tollgate.claim) &&
      (tollgate.resource === undefined || isResourceUrl(tollgate.resource)) &&
      tollgate.discovery === undefined &&
      (tollgate.responseHash === undefined ||
        (typeof tollgate.responseHash === 'string' && responseHashPattern.test(tollgate.responseHash))) &&
      (tollgate.delivery === undefined || tollgate.delivery === 'optimistic' || tollgate.delivery === 'settled') &&
      tollgate.exposure === undefined
    )
  ) {
    return undefined
  }
  const { resource, accepted, payload, extensions } = paymentPayload
  const resourceValid =
    resource === undefined ||
    (isObject(resource) &&
      isFilled(resource.url) &&
      isOptionalString(resource.description) &&
      isOptionalString(resource.mimeType))
  const valid =
    paymentPayload.x402Version === 2 &&
    resourceValid &&
    isRequirementsV2(accepted) &&
    isJsonObject(payload) &&
    (extensions === undefined || isJsonObject(extensions)) &&
    isRequirementsV2(paymentRequirements)
  return valid ? (body as FacilitatorRequestV2) : undefined
}

/**
 * The common case of `exactEvmPayloadSchema`, checked by hand: accepts only what the schema accepts
 * and returns the same shape (unknown keys dropped). Anything else goes through zod, which decides
 * and explains. zod costs about as much as the signature check itself on this path.
 */
function fastExactEvmPayload(value: unknown): ExactEvmPayload | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { signature, authorization } = value as { signature?: unknown; authorization?: unknown }
  if (typeof signature !== 'string' || !signaturePattern.test(signature)) return undefined
  if (typeof authorization !== 'object' || authorization === null) return undefined
  const { from, to, value: amount, validAfter, validBefore, nonce } = authorization as Record<string, unknown>
  if (typeof from !== 'string' || !addressPattern.test(from) || typeof to !== 'string' || !addressPattern.test(to)) {
    return undefined
  }
  if (!isUint(amount) || !isUint(validAfter) || !isUint(validBefore)) return undefined
  if (typeof nonce !== 'string' || !bytes32Pattern.test(nonce)) return undefined
  return {
    signature: signature as Hex,
    authorization: {
      from: from as Hex,
      to: to as Hex,
      value: amount,
      validAfter,
      validBefore,
      nonce: nonce as Hex,
    },
  }
}

/**
 * A payment on one of our networks as the engine takes it, with what the ledger knows it by: its
 * {@link authorizationId} and its payload hash (the EIP-712 digest under the asset's domain, or a
 * keccak of the fields for an unknown asset). For a request parsed from the wire, and for a payment
 * the facilitator settles again from its own ledger (`resettle`).
 */
export function exactPaymentRequest(
  parts: Pick<
    ExactPaymentRequest,
    'x402Version' | 'network' | 'chain' | 'authorization' | 'signature' | 'requirements'
  >,
): ExactPaymentRequest {
  const { chain, authorization, requirements } = parts
  const { from, to, value, validAfter, validBefore, nonce } = authorization
  const digest = chain.digest(requirements.asset, authorization)
  const request: ExactPaymentRequest = {
    ...parts,
    id: authorizationId({ chainId: chain.chainId, asset: requirements.asset, from, nonce }),
    payloadHash: digest
      ? bytesToHex(digest)
      : keccak256(toBytes(`${from}|${to}|${value}|${validAfter}|${validBefore}|${nonce}`.toLowerCase())),
  }
  if (digest) request.digest = digest
  return request
}

/** The `payment-identifier` id of a v2 payload: `undefined` when absent, `null` when malformed. */
function paymentIdOf(extensions: Record<string, unknown> | undefined): string | undefined | null {
  const extension = extensions?.['payment-identifier']
  if (extension === undefined) return undefined
  const info = isObject(extension) ? extension.info : undefined
  const id = isObject(info) ? info.id : undefined
  if (id === undefined && isObject(info)) return undefined // the server's declaration echoed back, no id
  return typeof id === 'string' && tokenPattern.test(id) ? id : null
}

const issueText = (issues: readonly { path: readonly PropertyKey[]; message: string }[]) =>
  issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(body)'}: ${issue.message}`)
    .join('; ')

/**
 * Parses a `/verify` or `/settle` body (v1 or v2) and resolves it against the enabled networks.
 * Malformed bodies, unknown versions, schemes and networks, malformed EVM payloads and non-address
 * requirements come back as `{ ok: false, code }` (HTTP 400); a payload that names another scheme or
 * network than its requirements comes back `ok` with `mismatch` (an invalid payment, HTTP 200).
 *
 * @example
 * import { parseFacilitatorRequest } from './parseFacilitatorRequest.ts'
 * const parsed = parseFacilitatorRequest(facilitator, await c.req.json())
 * @see x402-specification-v2.md §7; x402-protocol reference §3.1
 */
export function parseFacilitatorRequest(facilitator: Facilitator, body: unknown): ParseFacilitatorRequestResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, code: 'invalid_request', message: 'The body must be a JSON object.' }
  }
  const raw = body as { x402Version?: unknown; paymentPayload?: { x402Version?: unknown } }
  const payloadVersion = raw.paymentPayload?.x402Version
  if (payloadVersion !== undefined && payloadVersion !== 1 && payloadVersion !== 2) {
    return { ok: false, code: 'invalid_x402_version', message: 'paymentPayload.x402Version must be 1 or 2.' }
  }
  if (raw.x402Version !== undefined && raw.x402Version !== payloadVersion) {
    return {
      ok: false,
      code: 'invalid_x402_version',
      message: 'x402Version must equal paymentPayload.x402Version (or be absent).',
    }
  }
  let data: FacilitatorRequest | undefined =
    payloadVersion === 2 ? fastFacilitatorRequestV2(body as Record<string, unknown>) : undefined
  if (!data) {
    // Parse against the payload's own version only (the union would try v1 first for every v2 body).
    const schema =
      payloadVersion === 2
        ? facilitatorRequestV2Schema
        : payloadVersion === 1
          ? facilitatorRequestV1Schema
          : facilitatorRequestSchema
    const parsed = schema.safeParse(body)
    if (!parsed.success) return { ok: false, code: 'invalid_request', message: issueText(parsed.error.issues) }
    data = parsed.data
  }
  const { paymentPayload, paymentRequirements } = data

  if (paymentRequirements.scheme !== 'exact') {
    return { ok: false, code: 'unsupported_scheme', message: `Scheme ${paymentRequirements.scheme} is not supported.` }
  }
  const caip2 = toCaip2(paymentRequirements.network)
  const chain = caip2 && facilitator.networks.get(caip2)
  if (!chain) {
    return { ok: false, code: 'invalid_network', message: `Network ${paymentRequirements.network} is not supported.` }
  }
  let exactPayload = fastExactEvmPayload(paymentPayload.payload)
  if (!exactPayload) {
    const evmPayload = exactEvmPayloadSchema.safeParse(paymentPayload.payload)
    if (!evmPayload.success) {
      const issues = evmPayload.error.issues.map((issue) => ({
        ...issue,
        path: ['paymentPayload', 'payload', ...issue.path],
      }))
      return { ok: false, code: 'invalid_payload', message: issueText(issues) }
    }
    exactPayload = evmPayload.data
  }
  const asset = paymentRequirements.asset as Address
  const payTo = paymentRequirements.payTo as Address
  if (!addressPattern.test(asset) || !addressPattern.test(payTo)) {
    return {
      ok: false,
      code: 'invalid_payment_requirements',
      message: `paymentRequirements.${addressPattern.test(asset) ? 'payTo' : 'asset'} must be an EVM address.`,
    }
  }

  let mismatch: ErrorCode | undefined
  let amount: bigint
  // The schema pairs v2 payloads with v2 requirements and v1 with v1.
  if (paymentPayload.x402Version === 2) {
    const requirements = paymentRequirements as PaymentRequirementsV2
    amount = BigInt(requirements.amount)
    if (paymentPayload.accepted.scheme !== requirements.scheme) mismatch = 'invalid_scheme'
    else if (paymentPayload.accepted.network !== requirements.network) mismatch = 'invalid_exact_evm_network_mismatch'
  } else {
    const requirements = paymentRequirements as PaymentRequirementsV1
    amount = BigInt(requirements.maxAmountRequired)
    if (paymentPayload.scheme !== requirements.scheme) mismatch = 'invalid_scheme'
    else if (paymentPayload.network !== requirements.network) mismatch = 'invalid_exact_evm_network_mismatch'
  }

  const exact = toExactAuthorization(exactPayload.authorization)
  const request = exactPaymentRequest({
    x402Version: paymentPayload.x402Version,
    network: paymentRequirements.network,
    chain,
    authorization: exact,
    signature: exactPayload.signature,
    requirements: { asset, payTo, amount, extra: paymentRequirements.extra ?? null },
  })
  if (mismatch) request.mismatch = mismatch
  if (data.tollgate) request.claim = keccak256(toBytes(data.tollgate.claim))
  // ---- receipts: what the receipt binds besides the payment ----
  // Only the resource server names the resource: `tollgate.resource`, or for a plain v1 resource server
  // its own requirements' `resource`. The buyer's echo (`paymentPayload.resource`) is never signed.
  const resource = data.tollgate
    ? data.tollgate.resource
    : paymentPayload.x402Version === 1
      ? (paymentRequirements as PaymentRequirementsV1).resource
      : undefined
  if (resource) request.resourceUrl = resource
  if (data.tollgate?.responseHash) request.responseHash = data.tollgate.responseHash as Hex
  // Optimistic delivery binds the early delivery to a claim: a caller without one never gets it.
  if (data.tollgate?.delivery === 'optimistic') {
    const { perPayer, perSeller } = data.tollgate.exposure ?? {}
    request.optimistic = {
      ...(perPayer === undefined ? {} : { maxPerPayer: BigInt(perPayer) }),
      ...(perSeller === undefined ? {} : { maxPerSeller: BigInt(perSeller) }),
    }
  }
  if (paymentPayload.x402Version === 2) {
    const id = paymentIdOf(paymentPayload.extensions)
    if (id === null) {
      return {
        ok: false,
        code: 'invalid_payload',
        message: 'paymentPayload.extensions.payment-identifier.info.id must be 16-128 characters of A-Z a-z 0-9 _ -.',
      }
    }
    if (id !== undefined) {
      request.paymentKey = keccak256(
        toBytes(
          `${chain.chainId}|${asset.toLowerCase()}|${exact.from.toLowerCase()}|${payTo.toLowerCase()}|${amount}|${id}`,
        ),
      )
    }
  }
  return { ok: true, request }
}
