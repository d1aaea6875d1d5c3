import {
  type AuthorizationDigester,
  type CreateMulticallSchedulerOptions,
  createAuthorizationDigester,
  createExactVerifier,
  type ExactVerifier,
  type RecoverAddress,
} from '@tollgate/evm'
import {
  type Asset,
  type Clock,
  chainIdOf,
  type EvmNetwork,
  findAsset,
  type Now,
  type SettleResponse,
  systemClock,
  systemNow,
} from '@tollgate/protocol'
import type { Address, Client, LocalAccount } from 'viem'
import type { BatchOptions } from './engine/createBatchQueue.ts'
import type { CreateFeeOracleOptions } from './engine/createFeeOracle.ts'
import type { SendSyncOptions } from './engine/sendSync.ts'
import type { SettlementGas } from './engine/settlementCall.ts'
import type { SubmitParameters, SubmitResult } from './engine/settlerTypes.ts'
import { type CreateGasPolicyOptions, createGasPolicy, type GasPolicy } from './policy/createGasPolicy.ts'
import { createPayerLimits, type PayerLimits, systemTimer, type Timer } from './policy/createPayerLimits.ts'
import { createSettlementJudge, type SettlementJudge, type SettlementLoss } from './policy/judgeSettlementCost.ts'
import { type CreateL1FeeOracleOptions, createL1FeeOracle } from './policy/l1Fee.ts'
import { createSettlementCost, type EstimateSettlementCost } from './policy/settlementCost.ts'
import { readSettlementGasSpent, type SettlementGasSpent } from './policy/settlementGasSpent.ts'
import type { ReceiptSigner } from './receipts/createReceiptSigner.ts'
import { authorizationId } from './request/authorizationId.ts'
import type { Screening } from './screening/createScreening.ts'
import { adoptUnmined } from './signers/adoptUnmined.ts'
import { createSignerPool, type SignerPool } from './signers/createSignerPool.ts'
import type { SignerLeases } from './signers/signerLeaseTypes.ts'
import { type SignerLeaseOptions, storeSignerLeases } from './signers/storeSignerLeases.ts'
import { defaultOptimisticLimits, type OptimisticLimits } from './store/exposureStore.ts'
import type { Store } from './store/store.ts'

/** One chain the facilitator serves. */
export type FacilitatorNetworkConfig = {
  /** CAIP-2 id, such as `eip155:8453`. */
  network: EvmNetwork
  /** A viem client on that chain (transport `batch` recommended). */
  client: Client
  /** The settlement signer on that chain (or give `accounts`). */
  account?: LocalAccount
  /** Several settlement signers (a signer pool); `account`, if also given, comes first. */
  accounts?: readonly LocalAccount[]
  /**
   * Signer leases of this network's signers, for nodes sharing a ledger. Default: the Store's (`signerLeases`),
   * else none: every signer is this node's.
   */
  leases?: SignerLeases
  /** Accepted tokens. Default: the protocol asset table (USDC) for the network. */
  assets?: readonly Asset[]
  /** The client for `eth_sendRawTransactionSync`: one that does not batch calls. Default: `client`. */
  syncClient?: Client
}

export type CreateFacilitatorDeps = {
  networks: readonly FacilitatorNetworkConfig[]
  store: Store
}

export type CreateFacilitatorOptions = {
  /** Seconds since the epoch, for the ledger and validity windows. Default: the system clock. */
  now?: Now
  /** Milliseconds on a monotonic clock, for timeouts, leases and re-sends. Default: the system's. */
  clock?: Clock
  /** ECDSA recovery for EOA signatures. Default: pure JS (viem); Node services inject a native one. */
  recover?: RecoverAddress
  /** Allowed ERC-6492 factories. Default: none. */
  eip6492Factories?: readonly Address[]
  /** Seconds `validBefore` must lie beyond now. Default `6n`. */
  validBeforeMargin?: bigint
  /** How long `/settle` waits for a receipt before answering `settlement_pending`, in ms. Default `30_000`. */
  receiptTimeoutMs?: number
  /** Milliseconds between receipt polls. Default `250`. */
  pollingIntervalMs?: number
  /** Replace a settlement not mined after this many ms, at the same nonce with higher fees (capped by `fees.maxFeePerGas`). Default `15_000`; `Infinity`: never. */
  replaceAfterMs?: number
  /** Send an unmined settlement again, as it is, after this many ms. Default `3_000`. */
  rebroadcastAfterMs?: number
  /** Settle waiting payments together in Multicall3 batches (`maxSize`, `maxWaitMs`). Default: off. */
  batch?: BatchOptions
  /** Send settlements with `eth_sendRawTransactionSync` (EIP-7966): `mode` `auto`, `on` or `off` (default). */
  sendSync?: Omit<SendSyncOptions, 'client'>
  /** `pending` where the RPC serves preconfirmed state (Base Flashblocks). Default `latest`. */
  receiptBlockTag?: 'latest' | 'pending'
  /**
   * For nodes sharing one ledger: every network's signers are leased in the Store under `owner`, one node
   * per signer key at a time, each lease `leaseSeconds` long (default `6`), renewed every quarter of it,
   * and signed under only while it surely holds. Default: off (every signer is this node's).
   */
  signerLeases?: SignerLeaseOptions
  /** How long a `/verify` reservation is held (never beyond `validBefore`), in seconds. Default `120n`. */
  reservationSeconds?: bigint
  gas?: SettlementGas
  fees?: CreateFeeOracleOptions
  multicall?: CreateMulticallSchedulerOptions
  /** A signer below this balance (wei) is reported low. Default `10^16`. */
  lowBalance?: bigint
  /**
   * Judge each payment by what settling it will cost (measured gas used, base fee plus tip, L1 data
   * fee): alone within `maxShare` of its value, else batched within `maxBatchedShare`, else refused
   * `amount_too_low` at `/verify` and `/settle`. A batched payment is judged on the batch the recent
   * load makes likely; when that does not pay for its part, the shortfall is risked within
   * `maxLossPerHour` (asset atomic units per hour, per network and node; default `0n`), else refused.
   * Default: off.
   */
  gasPolicy?: CreateGasPolicyOptions & { maxLossPerHour?: bigint }
  /**
   * Called when a batch of payments goes out that costs more gas than its payments bring in (the
   * recent load did not fill it within the batch window): the loss the gas policy risked. Default: none.
   */
  onSettlementLoss?: (loss: SettlementLoss & { network: EvmNetwork }) => void
  /**
   * The batches of payments too small to settle alone, when the gas policy is on and `batch` does
   * not batch every payment: up to `maxSize` (default `100`) per transaction, collected for
   * `maxWaitMs` (default `500`) and, while they do not pay for their transaction, up to `maxHoldMs`
   * (default `2_000`, one Base block), and up to one more `maxHoldMs` while payments verified for the
   * batch are still being served. `maxHoldMs` is also the window of the recent load the policy counts.
   */
  autoBatch?: { maxSize?: number; maxWaitMs?: number; maxHoldMs?: number }
  /** The L1 data fee oracle (OP-stack `GasPriceOracle`; none on other chains). */
  l1Fee?: CreateL1FeeOracleOptions
  // --- abuse limits ---
  /**
   * The smallest payment `/verify` and `/settle` accept, in the asset's atomic units: below it the
   * answer is `amount_too_low` and nothing is sent. An amount of `0` is always `invalid_amount`.
   * Default `1_000n` ($0.001 in USDC).
   */
  minAmount?: bigint
  /** Per-asset minimums (by token address, any case), over `minAmount`. Default: none. */
  minAmounts?: Readonly<Record<string, bigint>>
  /**
   * How long a payer whose settlement reverted on chain (after its simulation passed) is refused
   * (`payment_rejected`), in seconds, per node. `0n`: never. Default `600n`.
   */
  coolOffSeconds?: bigint
  /**
   * Most settlements of one payer in flight on this node at once; past it a settlement waits its
   * turn in the payer's queue (`payerQueue`). Default `Infinity` (no cap; the service sets
   * `TOLLGATE_MAX_IN_FLIGHT_PER_PAYER`, default 16).
   */
  maxInFlightPerPayer?: number
  /**
   * The wait of a settlement past its payer's cap: at most `maxQueued` of one payer (default `256`)
   * and `maxQueuedTotal` on the node (default `10_000`) wait, each at most `maxWaitMs` (default
   * `15_000`); past either bound `/settle` answers `facilitator_unavailable` (HTTP 503, `Retry-After`).
   */
  payerQueue?: { maxQueued?: number; maxQueuedTotal?: number; maxWaitMs?: number; timer?: Timer }
  // --- end abuse limits ---
  /**
   * Where the detail of a fault answered to the caller with a fixed message goes (RPC and provider
   * text, with URLs redacted). Default: nowhere.
   */
  logError?: (error: unknown) => void
  /**
   * Signs a receipt (x402 `offer-receipt`, JWS) for every settled payment that names its resource, in
   * the `/settle` answer, and keeps it in the Store (`lookupReceipt`). Default: no receipts.
   */
  receipts?: ReceiptSigner
  /**
   * Sanctions screening of payer and payee in `/verify` and again in `/settle` before signing (see
   * `createScreening`), in the verification's batched read. Default: off.
   */
  screening?: Screening
  /**
   * Optimistic delivery's exposure limits (a resource server's own, sent with `/settle`, may only be
   * lower). Default: 1 USDC per payer, 100 USDC per payee, in atomic units (see {@link OptimisticLimits}).
   */
  optimistic?: OptimisticLimits
}

/** A chain as the facilitator uses it: its digester, verifier and settlement engine. */
export type FacilitatorNetwork = {
  network: EvmNetwork
  chainId: number
  /** The chain's client, for reads outside the verifier and the settler (who spent an authorization). */
  client: Client
  /** EIP-712 digests under the accepted assets' domains (the ledger's payload hash). */
  digest: AuthorizationDigester
  verify: ExactVerifier
  /** The network's signer pool (one signer or several). */
  settler: SignerPool
  /** What settling one payment costs now, alone (`size` 1) or in a batch of `size`. */
  settlementCost: EstimateSettlementCost
  /** The gas policy's verdict on a payment, when the policy is on. */
  judge?: SettlementJudge
  /** The size of the batches the policy counts on (1: no batches). */
  batchSize: number
}

/** The facilitator's dependencies, built once: pass it to {@link verify}, {@link settle} and {@link supported}. */
export type Facilitator = {
  readonly networks: ReadonlyMap<EvmNetwork, FacilitatorNetwork>
  readonly store: Store
  readonly now: Now
  readonly clock: Clock
  readonly receiptTimeoutMs: number
  /** How long a `/verify` reservation is held, in seconds. */
  readonly reservationSeconds: bigint
  /** The gas policy, when configured. */
  readonly gasPolicy?: GasPolicy
  /** The smallest accepted payment of `asset`, in atomic units (see `minAmount`, `minAmounts`). */
  readonly minAmountOf: (asset: Address) => bigint
  /** Per-payer cool-off, in-flight cap and wait queue, this node's. */
  readonly payerLimits: PayerLimits
  /** Settlements in progress in this process, by authorization id and payload. */
  readonly inflight: Map<string, Promise<SettleResponse>>
  /** Where fault details go: callers get a code and a fixed message only. */
  readonly logError: (error: unknown) => void
  /** This node's id on a shared ledger (`signerLeases.owner`), written on the rows it claims; none without leases. */
  readonly nodeId?: string
  /** The receipt signer, when receipts are on. */
  readonly receipts?: ReceiptSigner
  /** Compliance screening, when configured. */
  readonly screening?: Screening
  /** Optimistic delivery's exposure limits, in atomic units. */
  readonly optimistic: Required<OptimisticLimits>
  /**
   * Takes over the settlements this node's signers left unmined in an earlier process (journaled
   * in the Store): they are sent again, and replaced when stuck. Call once at start, before serving.
   * With signer leases this also happens whenever a lease is taken.
   */
  resume(): Promise<void>
  /** Stops the receipt pollers and closes the store. */
  close(): Promise<void>
  /** Stops the receipt pollers and leaves the store open, for a store its owner closes. */
  stop(): void
  /**
   * What this process is still doing: `settling` (settlements in progress here) and `unmined`
   * (transactions sent by this node's signers and not yet mined). Both 0: nothing to wait for.
   */
  inProgress(): { settling: number; unmined: number }
}

/**
 * Builds the facilitator: per network, an `exact` verifier (batched Multicall3 reads, injected
 * recovery) and a settlement engine (own nonces, explicit fees, one receipt poller), over one Store.
 *
 * @example
 * import { createFacilitator, createMemoryStore, verify } from '@tollgate/facilitator'
 * const facilitator = createFacilitator(
 *   { store: createMemoryStore(), networks: [{ network: 'eip155:8453', client, account }] },
 *   { receiptTimeoutMs: 20_000 },
 * )
 * const result = await verify(facilitator, body)
 * @see architecture.md (The paid request)
 */
export function createFacilitator(
  { networks, store }: CreateFacilitatorDeps,
  {
    now = systemNow,
    clock = systemClock,
    recover,
    eip6492Factories,
    validBeforeMargin,
    receiptTimeoutMs = 30_000,
    pollingIntervalMs,
    reservationSeconds = 120n,
    replaceAfterMs,
    rebroadcastAfterMs,
    batch,
    sendSync,
    receiptBlockTag,
    signerLeases,
    gas,
    fees,
    multicall,
    lowBalance,
    logError = () => undefined,
    optimistic = {},
    gasPolicy,
    autoBatch = {},
    onSettlementLoss,
    l1Fee: l1FeeOptions,
    minAmount = 1_000n,
    minAmounts = {},
    coolOffSeconds = 600n,
    maxInFlightPerPayer = Number.POSITIVE_INFINITY,
    payerQueue = {},
    receipts,
    screening,
  }: CreateFacilitatorOptions = {},
): Facilitator {
  if (minAmount < 0n) throw new TypeError('minAmount must not be negative')
  const minimums = new Map(Object.entries(minAmounts).map(([asset, min]) => [asset.toLowerCase(), min]))
  const built = new Map<EvmNetwork, FacilitatorNetwork>()
  const storeLeases = signerLeases ? storeSignerLeases({ store, now }, signerLeases) : undefined
  for (const { network, client, account, accounts = [], leases = storeLeases, assets, syncClient } of networks) {
    const chainId = chainIdOf(network)
    if (chainId === undefined) throw new TypeError(`not an EVM network: ${network}`)
    const signers = account ? [account, ...accounts] : accounts
    if (signers.length === 0) throw new TypeError(`no settlement signer for ${network}`)
    if (built.has(network)) throw new TypeError(`network listed twice: ${network}`)
    // Late-bound: the policy's cost reads the pool's fee oracle, and the pool's batches ask the policy.
    let pool: SignerPool | undefined
    const settlementCost = createSettlementCost({
      gasPrice: () => (pool as SignerPool).gasPrice(),
      l1Fee: createL1FeeOracle(client, { clock, ...l1FeeOptions }),
    })
    const batchAll = batch !== undefined && batch.maxSize >= 2
    const batchSize = batchAll ? batch.maxSize : gasPolicy ? (autoBatch.maxSize ?? 100) : 1
    const maxHoldMs = batchAll ? (batch.maxHoldMs ?? batch.maxWaitMs) : (autoBatch.maxHoldMs ?? 2_000)
    const policy = gasPolicy
      ? createSettlementJudge(
          { cost: settlementCost },
          {
            ...gasPolicy,
            batchSize,
            windowMs: maxHoldMs,
            clock,
            holdMs: Number(reservationSeconds) * 1_000 + maxHoldMs,
          },
        )
      : undefined
    const decimalsOf = (asset: Address) =>
      (assets ?? []).find((known) => known.address.toLowerCase() === asset.toLowerCase())?.decimals ??
      findAsset(network, asset)?.decimals ??
      6
    // The policy's accounting of each batch sent: what it risked comes back once the receipt says
    // what the transaction cost (the model's estimate if no receipt comes), a real loss is charged and told.
    const idOf = ({ asset, authorization }: SubmitParameters) =>
      authorizationId({ chainId, asset, from: authorization.from, nonce: authorization.nonce })
    const onFlush = (chunk: readonly SubmitParameters[], results: readonly SubmitResult[]) => {
      const first = chunk[0]
      if (!policy || !first) return
      const sentOk = chunk.filter((_, i) => results[i]?.ok)
      const hash = results.find((result) => result.ok)?.hash
      const account = async () => {
        let spent: SettlementGasSpent | undefined
        for (let i = 0; hash && !spent && i < 60; i++) {
          if (i > 0) await new Promise<void>((resolve) => systemTimer(1_000, resolve)) // unref'd
          spent = await readSettlementGasSpent(client, { transaction: hash, asset: first.asset })
        }
        const loss = await policy.sent({
          ids: chunk.map(idOf),
          amounts: sentOk.map(({ authorization }) => authorization.value),
          decimals: decimalsOf(first.asset),
          ...(spent ? { costWei: spent.feeWei } : {}),
        })
        if (loss) onSettlementLoss?.({ network, ...loss })
      }
      void account().catch(logError)
    }
    const batching: BatchOptions | undefined =
      batchAll || !policy
        ? batch && policy
          ? { ...batch, onFlush, onQueued: (parameters) => policy.queued(idOf(parameters)) }
          : batch
        : {
            maxSize: batchSize,
            maxWaitMs: autoBatch.maxWaitMs ?? 500,
            maxHoldMs,
            when: 'needed',
            onFlush,
            onQueued: (parameters) => policy.queued(idOf(parameters)),
            expecting: policy.expecting,
            covers: (chunk) =>
              policy.covers({
                amounts: chunk.map(({ authorization }) => authorization.value),
                decimals: decimalsOf((chunk[0] as (typeof chunk)[number]).asset),
              }),
            ...(batch?.onSend ? { onSend: batch.onSend } : {}),
          }
    const settler: SignerPool = createSignerPool(client, {
      accounts: signers,
      chainId,
      clock,
      ...(gas ? { gas } : {}),
      ...(fees ? { fees } : {}),
      ...(pollingIntervalMs === undefined ? {} : { pollingIntervalMs }),
      ...(lowBalance === undefined ? {} : { lowBalance }),
      ...(replaceAfterMs === undefined ? {} : { replaceAfterMs }),
      ...(rebroadcastAfterMs === undefined ? {} : { rebroadcastAfterMs }),
      ...(batching ? { batch: batching } : {}),
      ...(sendSync ? { sendSync: { ...sendSync, ...(syncClient ? { client: syncClient } : {}) } } : {}),
      ...(receiptBlockTag ? { receiptBlockTag } : {}),
      ...(leases ? { leases } : {}),
      // Fenced by the signer's lease epoch: a node that lost the lease cannot journal, so cannot send.
      journal: (transaction, lease) => {
        const at = now()
        const fence = leases && lease ? { owner: leases.owner, epoch: lease.epoch, now: at } : undefined
        return store.saveTransaction({ ...transaction, chainId, createdAt: at }, fence ? { fence } : {})
      },
      onLeased: async (signer) => {
        await adoptUnmined({ store, chainId, settler, signers: [signer], now })
      },
    })
    pool = settler
    built.set(network, {
      network,
      settlementCost,
      ...(policy ? { judge: policy.judge } : {}),
      batchSize,
      chainId,
      client,
      digest: createAuthorizationDigester({ chainId, ...(assets ? { assets } : {}) }),
      verify: createExactVerifier(client, {
        chainId,
        ...(assets ? { assets } : {}),
        ...(recover ? { recover } : {}),
        ...(eip6492Factories ? { eip6492Factories } : {}),
        ...(validBeforeMargin === undefined ? {} : { validBeforeMargin }),
        ...(multicall ? { multicall } : {}),
        // A smart wallet's settlement is simulated as it will be sent: sender, gas limit and fees.
        settlement: (kind) => settler.quote(kind),
      }),
      settler,
    })
  }
  const inflight: Facilitator['inflight'] = new Map()
  const stop = () => {
    for (const network of built.values()) network.settler.close()
  }
  return {
    networks: built,
    store,
    now,
    clock,
    receiptTimeoutMs,
    reservationSeconds,
    ...(gasPolicy ? { gasPolicy: createGasPolicy(gasPolicy) } : {}),
    minAmountOf: (asset) => minimums.get(asset.toLowerCase()) ?? minAmount,
    payerLimits: createPayerLimits({ now, coolOffSeconds, maxInFlight: maxInFlightPerPayer, ...payerQueue }),
    inflight,
    logError,
    ...(signerLeases ? { nodeId: signerLeases.owner } : {}),
    ...(receipts ? { receipts } : {}),
    ...(screening ? { screening } : {}),
    optimistic: { ...defaultOptimisticLimits, ...optimistic },
    async resume() {
      for (const { chainId, settler } of built.values()) {
        await settler.refresh()
        const leased = settler.signers().filter((signer) => signer.leased)
        await adoptUnmined({ store, chainId, settler, signers: leased.map((signer) => signer.address), now })
      }
    },
    async close() {
      stop()
      await store.close()
    },
    stop,
    inProgress() {
      let unmined = 0
      for (const { settler } of built.values()) {
        for (const signer of settler.signers()) unmined += signer.inFlight
      }
      return { settling: inflight.size, unmined }
    },
  }
}
