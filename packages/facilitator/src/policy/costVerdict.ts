import type { VerifiedSignature } from '@tollgate/evm'
import { type ErrorCode, findAsset } from '@tollgate/protocol'
import type { ExactPaymentRequest } from '../request/parseFacilitatorRequest.ts'

/**
 * The gas policy's verdict on a verified payment, in `/verify` and `/settle` alike: refused
 * (`amount_too_low`), or settled alone or batched. Allowed, alone, without a policy or when the fees
 * cannot be read now.
 */
export async function costVerdict(
  request: ExactPaymentRequest,
  signature: VerifiedSignature,
): Promise<{ ok: false; code: ErrorCode; message: string } | { ok: true; batched: boolean }> {
  const { judge } = request.chain
  if (!judge) return { ok: true, batched: false }
  const decimals = findAsset(request.chain.network, request.requirements.asset)?.decimals ?? 6
  // An RPC fault here: the settlement itself will meet it.
  const verdict = await judge({
    id: request.id,
    kind: signature.kind,
    amount: request.authorization.value,
    decimals,
  }).catch(() => undefined)
  return verdict ?? { ok: true, batched: false }
}
