import type { VerifiedSignature } from '@tollgate/evm'
import type { Address, Client, Hex, LocalAccount } from 'viem'
import { type CreateFeeOracleOptions, createFeeOracle, type FeeOracle } from './createFeeOracle.ts'
import type { SettlementReceipt } from './createReceiptWatcher.ts'
import {
  type BatchOptions,
  type CreateSettlerOptions,
  createSettler,
  defaultSettlementGas,
  type SettlementGas,
  type Settler,
  type SubmitParameters,
  type SubmitResult,
} from './createSettler.ts'

/** One signer as `/health` shows it. Balances are wei, as decimal strings on the wire. */
export type SignerStatus = {
  address: Address
  /** Last balance read (wei); `undefined` until the first read succeeds. */
  balance: bigint | undefined
  /** Settlements being sent or waiting for their receipt. */
  inFlight: number
  /** The balance is below `lowBalance`. */
  low: boolean
  /** This node holds the signer's lease (always true without `leases`). */
  leased: boolean
}

/**
 * Who may use a signer key, when several nodes share one ledger (the Store's signer leases).
 * `acquire` takes or renews the lease and answers whether this node holds it.
 */
export type SignerLeases = {
  acquire(signer: Address): Promise<boolean>
  release(signer: Address): Promise<void>
}

/** Several signers on one chain behind the {@link Settler} interface; see {@link createSignerPool}. */
export type SignerPool = Settler & {
  /** Every signer of the pool, leased here or not. */
  addresses: readonly Address[]
  /** The signers' last known state. */
  signers(): SignerStatus[]
  /** Re-reads balances and renews leases now (also done every `refreshIntervalMs`, on use). */
  refresh(): Promise<void>
  /** Gas limit and current max fee of a settlement of this signature kind: the expected cost. */
  quote(kind: VerifiedSignature['kind']): Promise<{ gas: bigint; maxFeePerGas: bigint }>
}

export type CreateSignerPoolOptions = {
  /** The settlement signers (pay gas). At least one. */
  accounts: readonly LocalAccount[]
  chainId: number
  gas?: SettlementGas
  fees?: CreateFeeOracleOptions
  /** Milliseconds between receipt polls. Default `250`. */
  pollingIntervalMs?: number
  /** Batch waiting payments per signer (see {@link CreateSettlerOptions}). Default: off. */
  batch?: BatchOptions
  /** Replace a transaction not mined after this many ms (see {@link CreateSettlerOptions}). Default `15_000`. */
  replaceAfterMs?: number
  /** Send an unmined transaction again after this many ms (see {@link CreateSettlerOptions}). Default `3_000`. */
  rebroadcastAfterMs?: number
  /** Keeps each signed transaction before broadcast (see {@link CreateSettlerOptions}). */
  journal?: CreateSettlerOptions['journal']
  /**
   * Called when this node takes a signer's lease (the first time, or back from another node), before
   * the signer is used: the moment to {@link Settler.adopt} the transactions it left unmined.
   */
  onLeased?: (signer: Address) => Promise<void>
  multicallAddress?: Address
  /** A signer whose balance (wei) falls below this is reported `low`. Default `10^16` (0.01 ETH). */
  lowBalance?: bigint
  /** Balances and leases are refreshed when older than this, in ms (keep it well under the lease). Default `30_000`. */
  refreshIntervalMs?: number
  /** Signer leases for nodes sharing a ledger. Default: every signer is ours. */
  leases?: SignerLeases
}

type Member = {
  settler: Settler
  balance: bigint | undefined
  leased: boolean
  submitting: number
  /** Sent transactions not yet seen mined, with the time they stop counting. */
  waiting: Map<Hex, number>
}

/**
 * A signer pool for one chain: one {@link createSettler} (own gap-free nonce allocator and receipt
 * poller) per key, one shared fee oracle, and each settlement sent by the usable signer with the
 * fewest settlements in flight. Balances are read on first use and then every `refreshIntervalMs`
 * (no timers: a stale reading is refreshed by the next settlement or `/health`); a signer whose
 * balance cannot pay one settlement's gas at the current max fee is skipped, one below `lowBalance`
 * is reported. With `leases`, only signers whose lease this node holds are used (renewed on refresh).
 *
 * @example
 * import { createSignerPool } from '@tollgate/facilitator'
 * const pool = createSignerPool(client, { accounts: [a, b, c, d], chainId: 8453 })
 * const sent = await pool.submit({ asset, authorization, signature, beforeBroadcast })
 * @see architecture.md (Scale); chain.md §6 pitfall 4
 */
export function createSignerPool(
  client: Client,
  {
    accounts,
    chainId,
    gas = {},
    fees: feeOptions,
    pollingIntervalMs,
    replaceAfterMs,
    rebroadcastAfterMs,
    journal,
    onLeased,
    batch,
    multicallAddress,
    lowBalance = 10n ** 16n,
    refreshIntervalMs = 30_000,
    leases,
  }: CreateSignerPoolOptions,
): SignerPool {
  if (accounts.length === 0) throw new TypeError('a signer pool needs at least one account')
  const limits = { ...defaultSettlementGas, ...gas }
  const feeOracle: FeeOracle = createFeeOracle(client, feeOptions)
  const members: Member[] = []
  for (const account of accounts) {
    if (members.some((member) => member.settler.address.toLowerCase() === account.address.toLowerCase())) {
      throw new TypeError(`signer listed twice: ${account.address}`)
    }
    members.push({
      settler: createSettler(client, {
        account,
        chainId,
        gas,
        feeOracle,
        ...(pollingIntervalMs === undefined ? {} : { pollingIntervalMs }),
        ...(multicallAddress ? { multicallAddress } : {}),
        ...(replaceAfterMs === undefined ? {} : { replaceAfterMs }),
        ...(rebroadcastAfterMs === undefined ? {} : { rebroadcastAfterMs }),
        ...(journal ? { journal } : {}),
        ...(batch ? { batch } : {}),
        ...(feeOptions?.maxFeePerGas === undefined ? {} : { maxFeePerGas: feeOptions.maxFeePerGas }),
      }),
      balance: undefined,
      leased: leases === undefined,
      submitting: 0,
      waiting: new Map(),
    })
  }
  const first = members[0] as Member
  const waitingMs = 120_000
  const byAddress = new Map(members.map((member) => [member.settler.address.toLowerCase(), member]))
  let refreshedAt = Number.NEGATIVE_INFINITY
  let refreshing: Promise<void> | undefined
  let closed = false

  const readOne = async (member: Member) => {
    const address = member.settler.address
    const [balance, leased] = await Promise.all([
      (client.request({ method: 'eth_getBalance', params: [address, 'latest'] } as never) as Promise<string>).then(
        (value) => BigInt(value),
        () => member.balance, // keep the last reading through an RPC fault
      ),
      leases ? leases.acquire(address).catch(() => false) : Promise.resolve(true),
    ])
    member.balance = balance
    // A lease taken (back) from another node: that node may have sent meanwhile, re-read the nonce
    // and take over what it left unmined.
    if (leased && !member.leased) {
      await member.settler.resyncNonces().catch(() => undefined)
      await onLeased?.(address).catch(() => undefined)
    }
    member.leased = leased
  }

  const refresh = () => {
    refreshing ??= Promise.all(members.map(readOne)).then(
      () => {
        refreshedAt = Date.now()
        refreshing = undefined
      },
      () => {
        refreshing = undefined
      },
    )
    return refreshing
  }

  const inFlight = (member: Member) => {
    const now = Date.now()
    for (const [hash, until] of member.waiting) if (until <= now) member.waiting.delete(hash)
    return member.submitting + member.waiting.size
  }

  const pick = async (gasLimit: bigint): Promise<{ member: Member; cost: bigint } | undefined> => {
    if (Date.now() - refreshedAt >= refreshIntervalMs) {
      // The first use waits for the first reading; later ones refresh in the background, except
      // with leases: a lease must be renewed before its signer is used again.
      if (leases || refreshedAt === Number.NEGATIVE_INFINITY) await refresh()
      else void refresh()
    }
    const { maxFeePerGas } = await feeOracle()
    const cost = gasLimit * maxFeePerGas
    let best: Member | undefined
    for (const member of members) {
      if (!member.leased) continue
      if (member.balance !== undefined && member.balance < cost) continue
      if (!best || inFlight(member) < inFlight(best)) best = member
    }
    // Counted before yielding, so concurrent picks see it and spread over the signers.
    if (best) best.submitting++
    return best ? { member: best, cost } : undefined
  }

  const gasOf = (parameters: SubmitParameters) => limits[parameters.signature.kind]

  return {
    address: first.settler.address,
    addresses: members.map((member) => member.settler.address),
    chainId,
    async submit(parameters): Promise<SubmitResult> {
      let picked: { member: Member; cost: bigint } | undefined
      try {
        picked = await pick(gasOf(parameters))
      } catch (error) {
        return {
          ok: false,
          code: 'unexpected_settle_error',
          message: error instanceof Error ? error.message : String(error),
        }
      }
      if (!picked) {
        return {
          ok: false,
          code: 'unexpected_settle_error',
          message: 'No settlement signer can pay for gas now (balances low or leases held elsewhere).',
        }
      }
      const { member, cost } = picked
      try {
        const sent = await member.settler.submit(parameters)
        if (sent.ok) {
          // A settlement nobody waits for stops counting once it would have timed out anyway.
          member.waiting.set(sent.hash, Date.now() + waitingMs)
          // Debit the worst case until the next reading, so a draining signer is skipped in time.
          if (member.balance !== undefined) member.balance -= cost
        }
        return sent
      } finally {
        member.submitting--
      }
    },
    async waitForReceipt({
      hash,
      nonce,
      signer = first.settler.address,
      timeoutMs,
    }): Promise<SettlementReceipt | undefined> {
      const member = byAddress.get(signer.toLowerCase())
      // Another node's signer (shared ledger): any settler can poll for it.
      const receipt = await (member ?? first).settler.waitForReceipt({ hash, nonce, signer, timeoutMs })
      if (receipt) member?.waiting.delete(hash)
      return receipt
    },
    signers() {
      if (!closed && Date.now() - refreshedAt >= refreshIntervalMs) void refresh()
      return members.map((member) => ({
        address: member.settler.address,
        balance: member.balance,
        inFlight: inFlight(member),
        low: member.balance !== undefined && member.balance < lowBalance,
        leased: member.leased,
      }))
    },
    refresh,
    async resyncNonces() {
      await Promise.all(members.map((member) => member.settler.resyncNonces()))
    },
    adopt(transactions) {
      for (const member of members) member.settler.adopt(transactions)
    },
    async quote(kind) {
      return { gas: limits[kind], maxFeePerGas: (await feeOracle()).maxFeePerGas }
    },
    close() {
      closed = true
      for (const member of members) member.settler.close()
      if (leases)
        for (const member of members)
          if (member.leased) void leases.release(member.settler.address).catch(() => undefined)
    },
  }
}
