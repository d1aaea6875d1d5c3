import type { VerifiedSignature } from '@tollgate/evm'
import { type Clock, systemClock } from '@tollgate/protocol'
import type { Address, Client, Hex, LocalAccount } from 'viem'
import { getBalance } from 'viem/actions'
import type { BatchOptions } from '../engine/createBatchQueue.ts'
import { type CreateFeeOracleOptions, createFeeOracle, type FeeOracle } from '../engine/createFeeOracle.ts'
import type { SettlementReceipt } from '../engine/createReceiptWatcher.ts'
import { type CreateSettlerOptions, createSettler, type Settler } from '../engine/createSettler.ts'
import { defaultSettlementGas, type SettlementGas } from '../engine/settlementCall.ts'
import type { SignedTransaction, SubmitParameters, SubmitResult } from '../engine/settlerTypes.ts'
import { createLeaseHolder, type LeaseHolder } from './createLeaseHolder.ts'
import type { SignerLeases } from './signerLeaseTypes.ts'

/** One signer as `/health` shows it. Balances are wei, as decimal strings on the wire. */
export type SignerStatus = {
  address: Address
  /** Last balance read (wei); `undefined` until the first read succeeds. */
  balance: bigint | undefined
  /** Settlements being sent or waiting for their receipt. */
  inFlight: number
  /** The balance is below `lowBalance`. */
  low: boolean
  /** This node holds the signer's lease and may sign with it now (always true without `leases`). */
  leased: boolean
  /** Another node holds the signer's lease (it signs the settlements this node hands over). */
  elsewhere: boolean
}

/**
 * Who can sign a settlement now: `here` (a signer of this node, or one whose lease it is taking),
 * `elsewhere` (another node sharing the ledger holds a signer's lease: hand the settlement over),
 * `none` (no signer anywhere can pay for gas now).
 */
export type SigningAvailability = 'here' | 'elsewhere' | 'none'

/** The lease under which a transaction is journaled: the fencing epoch, `undefined` without leases. */
export type JournalLease = { epoch: bigint } | undefined

/**
 * The fields a settlement of one signature kind is sent with now: gas limit, current fees (capped)
 * and a signer the pool would send from. A simulation run with them sees what mining will see.
 */
export type SettlementQuote = { gas: bigint; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; from: Address }

/** Several signers on one chain behind the {@link Settler} interface; see {@link createSignerPool}. */
export type SignerPool = Settler & {
  /** Every signer of the pool, leased here or not. */
  addresses: readonly Address[]
  /** The signers' last known state. */
  signers(): SignerStatus[]
  /** Re-reads balances and renews leases now (also done every `refreshIntervalMs`, on use). */
  refresh(): Promise<void>
  /** Gas limit and current max fee of a settlement of this signature kind: the expected cost. */
  quote(kind: VerifiedSignature['kind']): Promise<SettlementQuote>
  /** What a settlement pays per gas now: the base fee and the tip it is signed with (capped). */
  gasPrice(): Promise<{ baseFeePerGas: bigint; maxPriorityFeePerGas: bigint }>
  /** Who can sign a settlement of this signature kind now (see {@link SigningAvailability}). */
  availability(kind: VerifiedSignature['kind']): Promise<SigningAvailability>
  /** Whether a signer of this node may sign now (its lease held and taken over, if leased). */
  canSign(): boolean
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
  /** EIP-7966 sends (see {@link CreateSettlerOptions}). Default: off. */
  sendSync?: CreateSettlerOptions['sendSync']
  /** See {@link CreateSettlerOptions}. Default `latest`. */
  receiptBlockTag?: CreateSettlerOptions['receiptBlockTag']
  /** Replace a transaction not mined after this many ms (see {@link CreateSettlerOptions}). Default `15_000`. */
  replaceAfterMs?: number
  /** Send an unmined transaction again after this many ms (see {@link CreateSettlerOptions}). Default `3_000`. */
  rebroadcastAfterMs?: number
  /**
   * Keeps each signed transaction before broadcast (see {@link CreateSettlerOptions}), with the lease
   * it is signed under: a fenced write. `false`: the lease is no longer ours (nothing is broadcast, and
   * the signer is not used until its lease is taken again).
   */
  journal?: (transaction: SignedTransaction, lease: JournalLease) => Promise<boolean | undefined>
  /**
   * Called when this node takes a signer's lease (the first time, back from another node, or from its
   * own earlier process), after the nonce was re-read from the chain and before the signer is used:
   * the moment to {@link Settler.adopt} the transactions left unmined.
   */
  onLeased?: (signer: Address) => Promise<void>
  multicallAddress?: Address
  /** A signer whose balance (wei) falls below this is reported `low`. Default `10^16` (0.01 ETH). */
  lowBalance?: bigint
  /** Balances and leases are refreshed when older than this, in ms (keep it well under the lease). Default `30_000`. */
  refreshIntervalMs?: number
  /** Signer leases for nodes sharing a ledger. Default: every signer is ours. */
  leases?: SignerLeases
  /**
   * With `leases`, how long a settlement waits for a usable signer (a lease being taken over) before
   * it is refused, in ms. Default: `2 * validMs`.
   */
  leaseWaitMs?: number
  /** For lease validity, refreshes and waits. Default: the system's monotonic clock. */
  clock?: Clock
}

type Member = {
  settler: Settler
  balance: bigint | undefined
  lease: LeaseHolder
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
 * is reported. With `leases`, only signers whose lease this node holds are used: a heartbeat renews
 * them (and takes free ones) every `heartbeatMs`; a lease taken gets a new fencing epoch, and the
 * signer is used only after its nonce was re-read from the chain and the unmined transactions
 * journaled under earlier epochs were adopted (`onLeased`). Every journal write carries the epoch
 * (fenced in the Store), and each signed transaction is broadcast only while the lease is valid here.
 *
 * @example
 * import { createSignerPool } from './createSignerPool.ts'
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
    sendSync,
    receiptBlockTag,
    multicallAddress,
    lowBalance = 10n ** 16n,
    refreshIntervalMs = 30_000,
    leases,
    leaseWaitMs = leases ? 2 * leases.validMs : 0,
    clock = systemClock,
  }: CreateSignerPoolOptions,
): SignerPool {
  if (accounts.length === 0) throw new TypeError('a signer pool needs at least one account')
  const limits = { ...defaultSettlementGas, ...gas }
  const feeOracle: FeeOracle = createFeeOracle(client, { ...feeOptions, clock })
  const members: Member[] = []
  for (const account of accounts) {
    if (members.some((member) => member.settler.address.toLowerCase() === account.address.toLowerCase())) {
      throw new TypeError(`signer listed twice: ${account.address}`)
    }
    const member: Member = {
      settler: undefined as unknown as Settler,
      balance: undefined,
      // A lease taken (a new epoch): the key may have been used by its earlier holder (another node,
      // or this node's earlier process), so the nonce is re-read and its journal adopted first.
      lease: createLeaseHolder({
        leases,
        signer: account.address,
        clock,
        takeOver: async () => {
          await member.settler.resyncNonces()
          await onLeased?.(member.settler.address)
        },
      }),
      submitting: 0,
      waiting: new Map(),
    }
    member.settler = createSettler(client, {
      account,
      chainId,
      gas,
      feeOracle,
      clock,
      ...(pollingIntervalMs === undefined ? {} : { pollingIntervalMs }),
      ...(multicallAddress ? { multicallAddress } : {}),
      ...(sendSync ? { sendSync } : {}),
      ...(receiptBlockTag ? { receiptBlockTag } : {}),
      ...(replaceAfterMs === undefined ? {} : { replaceAfterMs }),
      ...(rebroadcastAfterMs === undefined ? {} : { rebroadcastAfterMs }),
      ...(journal
        ? {
            journal: async (transaction: SignedTransaction) => {
              const epoch = member.lease.epoch()
              if (leases && (epoch === undefined || !member.lease.usable())) throw new Error(leaseLost)
              const kept = await journal(transaction, epoch === undefined ? undefined : { epoch })
              if (kept === false) {
                member.lease.lose(epoch)
                throw new Error(leaseLost)
              }
            },
          }
        : {}),
      ...(leases ? { canSign: () => member.lease.usable() } : {}),
      ...(batch ? { batch } : {}),
      ...(feeOptions?.maxFeePerGas === undefined ? {} : { maxFeePerGas: feeOptions.maxFeePerGas }),
    })
    members.push(member)
  }
  const first = members[0] as Member
  const waitingMs = 120_000
  const byAddress = new Map(members.map((member) => [member.settler.address.toLowerCase(), member]))
  let refreshedAt = Number.NEGATIVE_INFINITY
  let refreshing: Promise<void> | undefined
  let closed = false
  const leaseLost = 'This node no longer holds the signer lease; nothing was sent.'

  let heartbeat: ReturnType<typeof setTimeout> | undefined
  const heartbeatMs = leases ? Math.max(50, leases.heartbeatMs ?? leases.validMs / 4) : 0
  const schedule = () => {
    if (!leases || closed) return
    heartbeat = setTimeout(() => {
      void Promise.all(members.map(({ lease }) => lease.beat())).finally(schedule)
    }, heartbeatMs)
  }

  const readOne = async (member: Member) => {
    const address = member.settler.address
    const [balance] = await Promise.all([
      getBalance(client, { address }).catch(() => member.balance), // keep the last reading through an RPC fault
      member.lease.beat(),
    ])
    member.balance = balance
    await member.lease.takingOver()
  }

  const refresh = () => {
    refreshing ??= Promise.all(members.map(readOne)).then(
      () => {
        refreshedAt = clock()
        refreshing = undefined
      },
      () => {
        refreshing = undefined
      },
    )
    return refreshing
  }

  const inFlight = (member: Member) => {
    const now = clock()
    for (const [hash, until] of member.waiting) if (until <= now) member.waiting.delete(hash)
    return member.submitting + member.waiting.size
  }

  /**
   * Balances read recently: the first use waits for the first reading; later ones refresh in the
   * background (leases are kept by the heartbeat).
   */
  const fresh = async () => {
    if (clock() - refreshedAt < refreshIntervalMs) return
    if (refreshedAt === Number.NEGATIVE_INFINITY) await refresh()
    else void refresh()
  }

  /** The usable signer with the fewest transactions in flight that can pay `cost` wei of gas. */
  const choose = (cost: bigint): Member | undefined => {
    let best: Member | undefined
    for (const member of members) {
      if (!member.lease.usable()) continue
      if (member.balance !== undefined && member.balance < cost) continue
      if (!best || inFlight(member) < inFlight(best)) best = member
    }
    return best
  }

  const pick = async (gasLimit: bigint): Promise<{ member: Member; cost: bigint } | undefined> => {
    await fresh()
    const { maxFeePerGas } = await feeOracle()
    const cost = gasLimit * maxFeePerGas
    let best = choose(cost)
    // No usable lease yet (being taken over from a dead process, say): wait for one, bounded.
    for (const until = clock() + leaseWaitMs; !best && !closed && clock() < until; best = choose(cost)) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Counted before yielding, so concurrent picks see it and spread over the signers.
    if (best) best.submitting++
    return best ? { member: best, cost } : undefined
  }

  const gasOf = (parameters: SubmitParameters) => limits[parameters.signature.kind]
  schedule()

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
          member.waiting.set(sent.hash, clock() + waitingMs)
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
      if (!closed && clock() - refreshedAt >= refreshIntervalMs) void refresh()
      return members.map((member) => ({
        address: member.settler.address,
        balance: member.balance,
        inFlight: inFlight(member),
        low: member.balance !== undefined && member.balance < lowBalance,
        leased: member.lease.usable(),
        elsewhere: member.lease.heldElsewhere(),
      }))
    },
    async availability(kind) {
      await fresh()
      const { maxFeePerGas } = await feeOracle()
      const cost = limits[kind] * maxFeePerGas
      const canPay = (member: Member) => member.balance === undefined || member.balance >= cost
      // Held here (or being taken over here): `submit` waits for it, bounded.
      if (members.some((member) => member.lease.epoch() !== undefined && canPay(member))) return 'here'
      if (choose(cost)) return 'here'
      if (members.some((member) => member.lease.heldElsewhere() && canPay(member))) return 'elsewhere'
      // A signer that can pay whose lease nobody holds now (it lapsed, or is being renewed): `submit`
      // takes it, bounded. `none` only when no signer can pay for gas.
      return members.some(canPay) ? 'here' : 'none'
    },
    canSign: () => members.some((member) => member.lease.usable()),
    refresh,
    async resyncNonces() {
      await Promise.all(members.map((member) => member.settler.resyncNonces()))
    },
    adopt(transactions) {
      for (const member of members) member.settler.adopt(transactions)
    },
    async quote(kind) {
      // The oracle already caps at `fees.maxFeePerGas`, as the settlers sign.
      await fresh()
      const { maxFeePerGas, maxPriorityFeePerGas } = await feeOracle()
      const gas = limits[kind]
      // The signer that would send it: a simulation from one that cannot pay the gas fails for that alone.
      const sender = choose(gas * maxFeePerGas) ?? members.find((member) => member.lease.ready()) ?? first
      return { gas, maxFeePerGas, maxPriorityFeePerGas, from: sender.settler.address }
    },
    async gasPrice() {
      const [{ maxPriorityFeePerGas }, baseFeePerGas] = await Promise.all([
        feeOracle(),
        feeOracle.baseFeePerGas?.() ?? Promise.resolve(0n),
      ])
      return { baseFeePerGas, maxPriorityFeePerGas }
    },
    close() {
      closed = true
      if (heartbeat !== undefined) clearTimeout(heartbeat)
      for (const member of members) member.settler.close()
      for (const member of members) member.lease.release()
    },
  }
}
