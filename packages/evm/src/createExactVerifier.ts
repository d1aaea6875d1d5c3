import { type Asset, assets as defaultAssets, type ErrorCode } from '@tollgate/protocol'
import type { Address, Client, Hex } from 'viem'
import { isErc6492Signature, parseErc6492Signature } from 'viem'
import { call } from 'viem/actions'
import { type Call3, type Call3Result, encodeAggregate3, multicall3Address } from './aggregate3.ts'
import { authorizationDigest } from './authorizationDigest.ts'
import {
  authorizationStateData,
  balanceOfData,
  erc1271MagicWord,
  isBlacklistedData,
  isValidSignatureData,
  pausedData,
} from './callData.ts'
import {
  type CreateMulticallSchedulerOptions,
  createMulticallScheduler,
  type MulticallGroupResult,
  type MulticallScheduler,
} from './createMulticallScheduler.ts'
import { domainSeparator } from './domainSeparator.ts'
import { RpcUnavailableError } from './errors.ts'
import { hexByteAt, hexToBytesOrUndefined, isHexShaped, readHex, toHex } from './hex.ts'
import { jsRecoverAddress, type RecoverAddress } from './recoverAddress.ts'
import { revertReason } from './revertReason.ts'
import type { ScreenHook } from './screenHook.ts'
import type { ExactAuthorization } from './toExactAuthorization.ts'
import { transferWithAuthorizationData } from './transferWithAuthorizationData.ts'

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

/** How the payer's signature checked out, which decides how settlement submits it. */
export type VerifiedSignature =
  | { kind: 'eoa'; signature: Hex }
  | { kind: 'erc1271'; signature: Hex }
  | { kind: 'erc6492'; signature: Hex; factory: Address; factoryData: Hex }

export type VerifyExactReturnType =
  | { ok: true; payer: Address; signature: VerifiedSignature }
  | { ok: false; code: ErrorCode; payer: Address; message?: string }

/** Verifies one `exact` EIP-3009 payment; see {@link createExactVerifier}. */
export type ExactVerifier = (parameters: VerifyExactParameters) => Promise<VerifyExactReturnType>

/**
 * The transaction fields a payment's settlement will be sent with (see `SignerPool.quote`): its
 * simulation runs with the same sender, gas limit and fees.
 */
export type SettlementFields = {
  from: Address
  gas: bigint
  maxFeePerGas: bigint
  maxPriorityFeePerGas: bigint
}

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

/** An `eth_call` error that is the call's own failure (a revert, out of gas), not the node's. */
function isExecutionFailure(error: unknown): boolean {
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth++) {
    const { code, message, details } = current as { code?: unknown; message?: unknown; details?: unknown }
    if (code === 3) return true
    const text = `${typeof message === 'string' ? message : ''} ${typeof details === 'string' ? details : ''}`
    if (/revert|out of gas|outofgas|invalid opcode|invalidfeopcode|stack (?:under|over)flow/i.test(text)) return true
    current = (current as { cause?: unknown }).cause
  }
  return false
}

const halfCurveOrder = [
  0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d, 0x57, 0x6e,
  0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]

/** `s > n/2`, compared bytewise (no bigint on the hot path). */
function isHighS(signature: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const byte = signature[32 + i] as number
    const limit = halfCurveOrder[i] as number
    if (byte !== limit) return byte > limit
  }
  return false
}

/** ERC-6492's suffix, without 0x. */
const erc6492Magic = '6492'.repeat(16)

const isMagic = (result: Call3Result | undefined) =>
  result?.success === true &&
  result.returnData.length >= 66 &&
  result.returnData.slice(0, 66).toLowerCase() === erc1271MagicWord

const zeroWord = `0x${'0'.repeat(64)}`

/** A 32-byte word as a bigint, or `undefined` if the call failed or returned something else. */
const wordOf = (result: Call3Result | undefined): bigint | undefined =>
  result?.success && result.returnData.length === 66
    ? // Most answers (nonce unused, not paused, not blacklisted) are zero: no bigint parse for those.
      result.returnData === zeroWord
      ? 0n
      : BigInt(result.returnData)
    : undefined

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
 *   now: BigInt(Math.floor(Date.now() / 1000)),
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
  const multicallAt = multicall?.address ?? multicall3Address
  const blockTag = multicall?.blockTag ?? 'latest'

  /** The settlement transaction itself, simulated alone with the fields it will be sent with. */
  const simulateSettlement = async (
    asset: Address,
    authorization: ExactAuthorization,
    verified: VerifiedSignature,
  ): Promise<string | undefined> => {
    if (!settlement) return undefined
    const fields = await settlement(verified.kind)
    const transfer = transferWithAuthorizationData(authorization, verified.signature)
    const request =
      verified.kind === 'erc6492'
        ? {
            to: multicallAt,
            data: encodeAggregate3([
              { target: verified.factory, allowFailure: true, callData: verified.factoryData },
              { target: asset, allowFailure: false, callData: transfer },
            ]),
          }
        : { to: asset, data: transfer }
    try {
      await call(client, {
        account: fields.from,
        ...request,
        gas: fields.gas,
        maxFeePerGas: fields.maxFeePerGas,
        maxPriorityFeePerGas: fields.maxPriorityFeePerGas,
        blockTag,
        batch: false,
      })
      return undefined
    } catch (error) {
      if (isExecutionFailure(error)) {
        return `reverted when simulated with the settlement's gas limit ${fields.gas} and fees`
      }
      throw new RpcUnavailableError({ message: 'The RPC node did not answer the settlement simulation.', cause: error })
    }
  }

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
    let inner = signature
    let deployment: { factory: Address; factoryData: Hex } | undefined
    if (
      signature.length > 2 + 64 * 3 &&
      signature.slice(-64).toLowerCase() === erc6492Magic &&
      isErc6492Signature(signature)
    ) {
      try {
        const parsed = parseErc6492Signature(signature)
        inner = parsed.signature
        if (parsed.address && parsed.data) deployment = { factory: parsed.address, factoryData: parsed.data }
      } catch {
        return fail('invalid_exact_evm_failed_to_parse_signature')
      }
    }
    let locallyValid = false
    if (inner.length === 2 + 65 * 2 && !deployment) {
      // An EOA's 65-byte signature, read as `r ‖ s` and `v`: 64 bytes stay on V8's heap, where a
      // 65-byte array would take an off-heap buffer (slower to make and to collect).
      const rs = new Uint8Array(64)
      const v = hexByteAt(inner, 130)
      if (!isHexShaped(inner) || !readHex(rs, 0, inner, 2, 64) || v < 0) {
        return fail('invalid_exact_evm_failed_to_parse_signature')
      }
      const bit = v === 27 || v === 0 ? 0 : v === 28 || v === 1 ? 1 : undefined
      if (bit !== undefined) {
        const recovering = recover(digest, rs, bit)
        // A synchronous (native) recovery is not awaited: one microtask less per verification.
        const recovered = recovering instanceof Promise ? await recovering : recovering
        if (recovered !== undefined && recovered.toLowerCase() === payer.toLowerCase()) {
          if (isHighS(rs)) return fail('invalid_exact_evm_payload_signature_high_s')
          if (v !== 27 && v !== 28) return fail('invalid_exact_evm_payload_signature_v')
          locallyValid = true
        }
      }
    } else if (inner.length <= 2 || !hexToBytesOrUndefined(inner)) {
      return fail('invalid_exact_evm_failed_to_parse_signature')
    }

    // 3-5. Recipient, amount, time window: no RPC.
    const localFailure: ErrorCode | undefined =
      authorization.to.toLowerCase() !== requirements.payTo.toLowerCase()
        ? 'invalid_exact_evm_payload_recipient_mismatch'
        : authorization.value !== requirements.amount
          ? x402Version === 1
            ? 'invalid_exact_evm_payload_authorization_value'
            : 'invalid_exact_evm_payload_authorization_value_mismatch'
          : authorization.validBefore <= now + validBeforeMargin
            ? 'invalid_exact_evm_payload_authorization_valid_before'
            : authorization.validAfter >= now
              ? 'invalid_exact_evm_payload_authorization_valid_after'
              : undefined
    if (locallyValid && localFailure) return fail(localFailure)

    // 6. Chain state, one batched eth_call.
    const asset = domain.asset.address
    const digestHex = toHex(digest)
    const reads: Call3[] = [
      { target: asset, allowFailure: true, callData: balanceOfData(payer) },
      { target: asset, allowFailure: true, callData: authorizationStateData(payer, authorization.nonce) },
      { target: asset, allowFailure: true, callData: pausedData },
      { target: asset, allowFailure: true, callData: isBlacklistedData(payer) },
      { target: asset, allowFailure: true, callData: isBlacklistedData(authorization.to) },
    ]
    // Asked of every payer, locally valid or not: an account with code (a wallet, or an EOA delegated
    // with EIP-7702) is checked by the token through `isValidSignature`, not `ecrecover`. A payer
    // without code answers an empty success.
    reads.push({ target: payer, allowFailure: true, callData: isValidSignatureData(digestHex, inner) })
    const effects: Call3[] = []
    if (deployment) {
      effects.push(
        { target: deployment.factory, allowFailure: true, callData: deployment.factoryData },
        { target: payer, allowFailure: true, callData: isValidSignatureData(digestHex, inner) },
      )
    }
    effects.push({ target: asset, allowFailure: true, callData: transferWithAuthorizationData(authorization, inner) })
    const screenAt = reads.length
    if (screen) reads.push(...screen.reads)
    const group = { key: `${digestHex}${signature}${screen ? `:${screenAt}` : ''}`, reads, effects }
    let screened = screen === undefined

    let result: MulticallGroupResult = await schedule(group)
    for (;;) {
      let verified: VerifiedSignature = { kind: 'eoa', signature: inner }
      if (!locallyValid) {
        const probe = result.reads[5]
        const deployed = probe?.success === true && probe.returnData.length > 2
        if (deployment && !deployed) {
          if (!factories.has(deployment.factory.toLowerCase())) {
            return fail('eip6492_factory_not_allowed', `${deployment.factory} is not an allowed ERC-6492 factory.`)
          }
          const deploy = result.effects[0]
          if (!deploy?.success) return fail('smart_wallet_deployment_failed', revertReason(deploy?.returnData ?? '0x'))
          if (!isMagic(result.effects[1])) return fail('invalid_exact_evm_payload_signature')
          verified = { kind: 'erc6492', signature: inner, ...deployment }
        } else {
          if (!isMagic(probe)) return fail('invalid_exact_evm_payload_signature')
          verified = { kind: 'erc1271', signature: inner }
        }
      } else {
        const probe = result.reads[5]
        if (probe !== undefined && !(probe.success && probe.returnData === '0x')) {
          // The payer has code (EIP-7702): its own code decides when mined, so it is a smart-wallet
          // payer (settled alone, simulated as sent), and the token will ask it, not the signature.
          if (!isMagic(probe)) return fail('invalid_exact_evm_payload_signature')
          verified = { kind: 'erc1271', signature: inner }
        }
      }
      if (localFailure) return fail(localFailure)
      if (!screened && screen) {
        // Once per verification (an isolated re-run below reads the same lists again, unused).
        screened = true
        const flag = (index: number) => {
          const value = wordOf(result.reads[index])
          return value === undefined || value > 1n ? undefined : value === 1n
        }
        const verdict = await screen.decide({
          payerBlacklisted: flag(3),
          payeeBlacklisted: flag(4),
          paused: flag(2),
          results: result.reads.slice(screenAt),
        })
        if (verdict) return fail(verdict.code, verdict.message)
      }

      const balanceResult = result.reads[0]
      if (balanceResult?.success && balanceResult.returnData === '0x') {
        return fail('asset_not_deployed_contract', `${asset} has no code on ${network}.`)
      }
      const balance = wordOf(balanceResult)
      const used = wordOf(result.reads[1])
      if (balance === undefined || used === undefined) {
        return fail('invalid_exact_evm_eip3009_not_supported', `${asset} does not answer balanceOf/authorizationState.`)
      }
      if (balance < authorization.value)
        return fail('insufficient_funds', `balance ${balance} < ${authorization.value}`)
      if (used !== 0n) return fail('invalid_exact_evm_nonce_already_used')
      if ((wordOf(result.reads[2]) ?? 0n) !== 0n) return fail('asset_paused', `${asset} is paused.`)
      if ((wordOf(result.reads[3]) ?? 0n) !== 0n)
        return fail('invalid_exact_evm_payload_authorization_from_address_kyt')
      if ((wordOf(result.reads[4]) ?? 0n) !== 0n) return fail('invalid_exact_evm_payload_authorization_to_address_kyt')

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
      if (verified.kind !== 'eoa' || asSent) {
        const failed = await simulateSettlement(asset, authorization, verified)
        if (failed !== undefined) return fail('invalid_exact_evm_transaction_simulation_failed', failed)
      }
      return { ok: true, payer, signature: verified }
    }
  }
}
