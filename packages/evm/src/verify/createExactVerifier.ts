import { type Asset, assets as defaultAssets, type ErrorCode } from '@tollgate/protocol'
import type { Address, Client, Hex } from 'viem'
import { authorizationDigest } from '../authorization/authorizationDigest.ts'
import { domainSeparator } from '../authorization/domainSeparator.ts'
import type { ExactAuthorization } from '../authorization/toExactAuthorization.ts'
import { multicall3Address } from '../encoding/aggregate3.ts'
import { hexToBytesOrUndefined, toHex } from '../encoding/hex.ts'
import { revertReason } from '../encoding/revertReason.ts'
import { checkAuthorizationFields } from './checkAuthorizationFields.ts'
import { checkChainState } from './checkChainState.ts'
import { checkSignatureLocally } from './checkSignatureLocally.ts'
import { checkWalletSignature, type VerifiedSignature } from './checkWalletSignature.ts'
import {
  type CreateMulticallSchedulerOptions,
  createMulticallScheduler,
  type MulticallScheduler,
} from './createMulticallScheduler.ts'
import { exactReadGroup, screenAnswers } from './exactReadGroup.ts'
import { jsRecoverAddress, type RecoverAddress } from './recoverAddress.ts'
import type { ScreenHook } from './screenHook.ts'
import { type SettlementFields, simulateSettlement } from './simulateSettlement.ts'

/** What the payment must be, from the resource server's requirements (already schema-checked). */
export type ExactRequirements = {
  asset: Address
  payTo: Address
  /** Required amount in atomic units: `amount` (v2) or `maxAmountRequired` (v1). */
  amount: bigint
  /** `extra` of the requirements: the EIP-712 domain `name` and `version` the client signed with. */
  extra?: Readonly<Record<string, unknown>> | null | undefined
}

export type VerifyExactParameters = {
  authorization: ExactAuthorization
  /** As sent: 65-byte ECDSA, an ERC-1271 wallet's signature, or an ERC-6492 wrapper of either. */
  signature: Hex
  requirements: ExactRequirements
  /** Seconds since the epoch; injected so tests are deterministic. */
  now: bigint
  /** Picks the value-mismatch code of the payment's protocol version. Default `2`. */
  x402Version?: 1 | 2
  /**
   * The authorization's EIP-712 digest under the asset's domain, when the caller already has it
   * (see `createAuthorizationDigester`); computed here otherwise.
   */
  digest?: Uint8Array
  /**
   * Simulate the settlement as it will be sent (`settlement`'s sender, gas limit and fees) whatever
   * the signature kind, as `/settle` does just before sending. Default `false`: only smart-wallet
   * payers get that second simulation, so a plain `/verify` of an EOA payment stays one batched read.
   */
  asSent?: boolean
  /** Compliance screening in the same batched read (see {@link ScreenHook}). Default: none. */
  screen?: ScreenHook
}

export type VerifyExactReturnType =
  | { ok: true; payer: Address; signature: VerifiedSignature }
  | { ok: false; code: ErrorCode; payer: Address; message?: string }

/** Verifies one `exact` EIP-3009 payment; see {@link createExactVerifier}. */
export type ExactVerifier = (parameters: VerifyExactParameters) => Promise<VerifyExactReturnType>

export type CreateExactVerifierOptions = {
  /** The chain `client` talks to. */
  chainId: number
  /** Tokens accepted on this chain. Default: the protocol asset table (USDC) entries for `chainId`. */
  assets?: readonly Asset[]
  /** ECDSA recovery. Default {@link jsRecoverAddress} (pure JS); inject a native one on servers. */
  recover?: RecoverAddress
  /** Factories an undeployed ERC-6492 wallet may be deployed through. Default: none. */
  eip6492Factories?: readonly Address[]
  /** Seconds `validBefore` must lie beyond now, to leave time for inclusion. Default `6n`. */
  validBeforeMargin?: bigint
  /** A shared scheduler; default: one built from `multicall`. */
  schedule?: MulticallScheduler
  /** Options of the default scheduler. */
  multicall?: CreateMulticallSchedulerOptions
  /**
   * The fields a settlement is sent with. When given, a smart-wallet payment (`erc1271`,
   * `erc6492`), and any payment verified with `asSent`, is simulated once more, alone, as the
   * exact transaction the settler sends (same `to`, data, sender, gas limit, `maxFeePerGas`,
   * `maxPriorityFeePerGas`): a wallet whose `isValidSignature` answers differently under a large
   * `eth_call` gas allowance, a zero gas price or another sender, or a transfer that needs more
   * gas than the settlement's limit, fails here, before anything is sent. Default: none (the
   * shared Multicall3 simulation only).
   */
  settlement?: (kind: VerifiedSignature['kind']) => Promise<SettlementFields>
}

/**
 * Builds the `exact` EIP-3009 verifier for one chain. Checks run in the reference order, each
 * failure with its own code:
 *
 * 1. asset known on this chain (`unsupported_asset`); `extra.name`/`extra.version` present
 *    (`invalid_exact_evm_missing_eip712_domain`) and equal to the asset's domain
 *    (`invalid_exact_evm_token_name_mismatch`, `…_version_mismatch`);
 * 2. signature: a 65-byte ECDSA signature is recovered locally with no RPC; when it recovers the
 *    payer it must be low-s (`invalid_exact_evm_payload_signature_high_s`) with `v` 27/28
 *    (`invalid_exact_evm_payload_signature_v`), which USDC requires. Otherwise the payer is asked on
 *    chain: ERC-1271 `isValidSignature`; an ERC-6492 wrapper of an undeployed wallet needs an
 *    allow-listed factory (`eip6492_factory_not_allowed`) and is checked after a simulated
 *    deployment. Failure: `invalid_exact_evm_payload_signature`;
 * 3. `to` equals `payTo` (`invalid_exact_evm_payload_recipient_mismatch`);
 * 4. value equals the amount exactly (`…_authorization_value_mismatch`; v1: `…_authorization_value`);
 * 5. `validBefore > now + margin` and `validAfter < now` (`…_valid_before`, `…_valid_after`): v2
 *    clients sign `validAfter = 0`, v1 clients `now - 600`, and both pass;
 * 6. on chain, in one Multicall3 `eth_call` shared with concurrent verifications: asset deployed
 *    (`asset_not_deployed_contract`), balance (`insufficient_funds`), `authorizationState` unused
 *    (`invalid_exact_evm_nonce_already_used`), not paused (`asset_paused`), payer and payee not
 *    blacklisted (`…_from_address_kyt`, `…_to_address_kyt`), and a simulated
 *    `transferWithAuthorization` (`invalid_exact_evm_transaction_simulation_failed`, reason in
 *    `message`); a payer with code answers `isValidSignature` there too (an EIP-7702 delegated EOA
 *    is checked by the token through its code: it counts as `erc1271`), and a smart-wallet payer's
 *    settlement is then simulated once more, alone, as the exact
 *    transaction that will be sent (`settlement`: sender, gas limit and fees).
 *
 * Expected failures are values; a chain that cannot be asked throws {@link RpcUnavailableError}.
 *
 * @example
 * import { createExactVerifier, toExactAuthorization } from '@tollgate/evm'
 * const verify = createExactVerifier(client, { chainId: 8453 })
 * const result = await verify({
 *   authorization: toExactAuthorization(payload.authorization),
 *   signature: payload.signature,
 *   requirements: { asset, payTo, amount: 10_000n, extra: { name: 'USD Coin', version: '2' } },
 *   now: 1_800_000_000n, // seconds since the epoch, from the caller's clock
 * })
 * @see x402-protocol reference §4.2; chain.md §6 pitfalls 6, 7, 13
 */
export function createExactVerifier(
  client: Client,
  {
    chainId,
    assets = Object.values(defaultAssets),
    recover = jsRecoverAddress,
    eip6492Factories = [],
    validBeforeMargin = 6n,
    schedule: givenSchedule,
    multicall,
    settlement,
  }: CreateExactVerifierOptions,
): ExactVerifier {
  const network = `eip155:${chainId}`
  const domains = new Map<string, { asset: Asset; separator: Uint8Array }>()
  for (const asset of assets) {
    if (asset.network !== network) continue
    const separator = hexToBytesOrUndefined(
      domainSeparator({
        name: asset.name,
        version: asset.version,
        chainId,
        verifyingContract: asset.address.toLowerCase() as Address,
      }),
    ) as Uint8Array
    domains.set(asset.address.toLowerCase(), { asset, separator })
  }
  const factories = new Set(eip6492Factories.map((factory) => factory.toLowerCase()))
  const schedule = givenSchedule ?? createMulticallScheduler(client, multicall)
  const multicallAddress = multicall?.address ?? multicall3Address
  const blockTag = multicall?.blockTag ?? 'latest'

  return async function verifyExact({
    authorization,
    signature,
    requirements,
    now,
    x402Version = 2,
    digest: given,
    asSent = false,
    screen,
  }) {
    const payer = authorization.from
    const fail = (code: ErrorCode, message?: string): VerifyExactReturnType =>
      message === undefined ? { ok: false, code, payer } : { ok: false, code, payer, message }

    // 1. Asset and EIP-712 domain.
    const domain = domains.get(requirements.asset.toLowerCase())
    if (!domain) return fail('unsupported_asset', `${requirements.asset} is not an accepted asset on ${network}.`)
    const name = requirements.extra?.name
    const version = requirements.extra?.version
    if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') {
      return fail('invalid_exact_evm_missing_eip712_domain')
    }
    if (name !== domain.asset.name) return fail('invalid_exact_evm_token_name_mismatch')
    if (version !== domain.asset.version) return fail('invalid_exact_evm_token_version_mismatch')

    // 2. Signature, locally when it can be.
    const digest = given ?? authorizationDigest(domain.separator, authorization)
    if (!digest) return fail('invalid_payload')
    const checking = checkSignatureLocally(recover, { signature, digest, payer })
    // A synchronous (native) recovery is not awaited: one microtask less per verification.
    const local = checking instanceof Promise ? await checking : checking
    if (!local.ok) return fail(local.code)
    const { inner, deployment, locallyValid } = local

    // 3-5. Recipient, amount, time window: no RPC.
    const localFailure = checkAuthorizationFields({
      authorization,
      payTo: requirements.payTo,
      amount: requirements.amount,
      now,
      validBeforeMargin,
      x402Version,
    })
    if (locallyValid && localFailure) return fail(localFailure)

    // 6. Chain state, one batched eth_call.
    const asset = domain.asset.address
    const { group, screenAt } = exactReadGroup({
      asset,
      authorization,
      signature,
      inner,
      deployment,
      digest: toHex(digest),
      screen,
    })
    let screened = screen === undefined

    /** The settlement simulated alone as it will be sent (undefined: it succeeds; else the reason). */
    const simulateAsSent =
      settlement &&
      (async (verified: VerifiedSignature) =>
        simulateSettlement(client, {
          asset,
          authorization,
          signature: verified,
          fields: await settlement(verified.kind),
          multicallAddress,
          blockTag,
        }))
    // A valid EOA signature settled as sent: its simulation runs beside the batched read (both must
    // pass), so the verification waits for one round trip, not two.
    const early =
      asSent && locallyValid && !localFailure ? simulateAsSent?.({ kind: 'eoa', signature: inner }) : undefined
    early?.catch(() => undefined) // unused when the batched read fails first

    let result = await schedule(group)
    for (;;) {
      const wallet = checkWalletSignature({ result, inner, deployment, locallyValid, factories })
      if (!wallet.ok) return fail(wallet.code, wallet.message)
      if (localFailure) return fail(localFailure)
      if (!screened && screen) {
        // Once per verification (an isolated re-run below reads the same lists again, unused).
        screened = true
        const verdict = await screen.decide(screenAnswers(result, screenAt))
        if (verdict) return fail(verdict.code, verdict.message)
      }
      const stateFailure = checkChainState(result, { asset, network, value: authorization.value })
      if (stateFailure) return fail(stateFailure.code, stateFailure.message)

      const simulation = result.effects[result.effects.length - 1]
      if (!simulation?.success) {
        // Another payment's simulation in the same batch may have spent this payer's balance:
        // ask again alone before calling it a failure.
        if (result.shared) {
          result = await schedule(group, { isolated: true })
          continue
        }
        return fail('invalid_exact_evm_transaction_simulation_failed', revertReason(simulation?.returnData ?? '0x'))
      }
      const verified = wallet.signature
      if (simulateAsSent && (verified.kind !== 'eoa' || asSent)) {
        const failed = await (verified.kind === 'eoa' && early ? early : simulateAsSent(verified))
        if (failed !== undefined) return fail('invalid_exact_evm_transaction_simulation_failed', failed)
      }
      return { ok: true, payer, signature: verified }
    }
  }
}
