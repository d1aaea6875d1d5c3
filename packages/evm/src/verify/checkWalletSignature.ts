import type { Address, Hex } from 'viem'
import type { Call3Result } from '../encoding/aggregate3.ts'
import { erc1271MagicWord } from '../encoding/callData.ts'
import { revertReason } from '../encoding/revertReason.ts'
import type { Erc6492Deployment } from './checkSignatureLocally.ts'
import type { MulticallGroupResult } from './createMulticallScheduler.ts'
import type { ExactFailure } from './exactFailure.ts'
import { exactDeploymentEffects, exactReads } from './exactReadGroup.ts'

/** How the payer's signature checked out, which decides how settlement submits it. */
export type VerifiedSignature =
  | { kind: 'eoa'; signature: Hex }
  | { kind: 'erc1271'; signature: Hex }
  | { kind: 'erc6492'; signature: Hex; factory: Address; factoryData: Hex }

export type CheckWalletSignatureParameters = {
  /** The answers of the verification's group (see `exactReadGroup`). */
  result: MulticallGroupResult
  /** The signature without its ERC-6492 wrapper. */
  inner: Hex
  deployment: Erc6492Deployment | undefined
  /** Whether the signature recovered the payer locally (see `checkSignatureLocally`). */
  locallyValid: boolean
  /** Lowercased addresses of the factories an undeployed ERC-6492 wallet may be deployed through. */
  factories: ReadonlySet<string>
}

export type CheckWalletSignatureReturnType = { ok: true; signature: VerifiedSignature } | ({ ok: false } & ExactFailure)

const isMagic = (result: Call3Result | undefined) =>
  result?.success === true &&
  result.returnData.length >= 66 &&
  result.returnData.slice(0, 66).toLowerCase() === erc1271MagicWord

/**
 * The payer's signature as its code answered it in the batched read (internal). A signature that
 * did not recover the payer locally must get ERC-1271's magic value from the payer's
 * `isValidSignature`, or, for an ERC-6492 wrapper of an undeployed wallet, from the wallet once
 * deployed through an allow-listed factory (`eip6492_factory_not_allowed`,
 * `smart_wallet_deployment_failed`). A locally valid signature of a payer with code (an EIP-7702
 * delegated EOA) must get it too: the token asks that code, so it counts as `erc1271`. Failure:
 * `invalid_exact_evm_payload_signature`.
 */
export function checkWalletSignature({
  result,
  inner,
  deployment,
  locallyValid,
  factories,
}: CheckWalletSignatureParameters): CheckWalletSignatureReturnType {
  const probe = result.reads[exactReads.payerSignature]
  if (!locallyValid) {
    const deployed = probe?.success === true && probe.returnData.length > 2
    if (deployment && !deployed) {
      if (!factories.has(deployment.factory.toLowerCase())) {
        return {
          ok: false,
          code: 'eip6492_factory_not_allowed',
          message: `${deployment.factory} is not an allowed ERC-6492 factory.`,
        }
      }
      const deploy = result.effects[exactDeploymentEffects.deployment]
      if (!deploy?.success) {
        return { ok: false, code: 'smart_wallet_deployment_failed', message: revertReason(deploy?.returnData ?? '0x') }
      }
      if (!isMagic(result.effects[exactDeploymentEffects.deployedSignature])) {
        return { ok: false, code: 'invalid_exact_evm_payload_signature' }
      }
      return { ok: true, signature: { kind: 'erc6492', signature: inner, ...deployment } }
    }
    if (!isMagic(probe)) return { ok: false, code: 'invalid_exact_evm_payload_signature' }
    return { ok: true, signature: { kind: 'erc1271', signature: inner } }
  }
  if (probe !== undefined && !(probe.success && probe.returnData === '0x')) {
    // The payer has code (EIP-7702): its own code decides when mined, so it is a smart-wallet
    // payer (settled alone, simulated as sent), and the token will ask it, not the signature.
    if (!isMagic(probe)) return { ok: false, code: 'invalid_exact_evm_payload_signature' }
    return { ok: true, signature: { kind: 'erc1271', signature: inner } }
  }
  return { ok: true, signature: { kind: 'eoa', signature: inner } }
}
