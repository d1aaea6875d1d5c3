/**
 * Readiness: whether this node can take payments now. Every check is bounded in time, so a hung RPC
 * or database answers "not ready" instead of hanging the probe.
 */
import type { Facilitator } from '@tollgate/facilitator'

export type ReadyCheck = { ok: boolean; detail?: string }

export type Readiness = {
  ready: boolean
  checks: {
    /** Not shutting down. */
    accepting: ReadyCheck
    /** The ledger answers a read. */
    store: ReadyCheck
    /** Per network: the RPC answers `eth_blockNumber`. */
    rpc: Record<string, ReadyCheck>
    /** Per network: a signer leased here with at least `minBalance`, or one leased by another node (handed over). */
    signer: Record<string, ReadyCheck>
    /** Screening: on (the providers of each network; an OFAC list loaded and younger than its maximum age) or off. */
    screening?: ReadyCheck
  }
}

export type CheckReadyOptions = {
  /** The least balance (wei) of a usable signer. */
  minBalance: bigint
  /** Per check. Default `2000`. */
  timeoutMs?: number
  /** `true` once shutdown began. */
  draining?: boolean
  /** Screening's own check (its details shown as they are). */
  screening?: () => ReadyCheck
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })

/**
 * Runs the checks concurrently. The signer check re-reads balances and leases first
 * (`settler.refresh()`), so a signer drained or a lease lost since the last read shows at once.
 * Details carry no RPC text (it can hold the URL): only fixed words and numbers.
 */
export async function checkReady(
  facilitator: Facilitator,
  { minBalance, timeoutMs = 2_000, draining = false, screening: screeningCheck }: CheckReadyOptions,
): Promise<Readiness> {
  const rpc: Record<string, ReadyCheck> = {}
  const signer: Record<string, ReadyCheck> = {}
  const storeCheck = within(facilitator.store.list({ states: ['settling'], limit: 1 }), timeoutMs).then(
    (): ReadyCheck => ({ ok: true }),
    (): ReadyCheck => ({ ok: false, detail: 'the ledger did not answer' }),
  )
  const networkChecks = [...facilitator.networks.values()].map(async ({ network, client, settler }) => {
    const [reachable] = await Promise.all([
      within(client.request({ method: 'eth_blockNumber' }), timeoutMs).then(
        () => true,
        () => false,
      ),
      within(settler.refresh(), timeoutMs).catch(() => undefined),
    ])
    rpc[network] = reachable ? { ok: true } : { ok: false, detail: 'the RPC did not answer eth_blockNumber' }
    const usable = settler
      .signers()
      .filter(({ leased, balance }) => leased && balance !== undefined && balance >= minBalance)
    const leased = settler.signers().filter(({ leased }) => leased).length
    // Held by another node of the shared ledger: this node hands its settlements over to it.
    const elsewhere = settler.signers().filter(({ elsewhere }) => elsewhere).length
    signer[network] =
      usable.length > 0
        ? { ok: true, detail: `${usable.length} of ${settler.signers().length} signers leased and funded` }
        : elsewhere > 0
          ? {
              ok: true,
              detail: `${elsewhere} of ${settler.signers().length} signers leased by another node (handed over)`,
            }
          : {
              ok: false,
              detail: `no signer leased here with at least ${minBalance} wei, none leased elsewhere (${leased} leased of ${settler.signers().length})`,
            }
  })
  const [store] = await Promise.all([storeCheck, ...networkChecks])
  const accepting: ReadyCheck = draining ? { ok: false, detail: 'shutting down' } : { ok: true }
  const screening = screeningCheck?.()
  const ready =
    accepting.ok &&
    store.ok &&
    Object.values(rpc).every((c) => c.ok) &&
    Object.values(signer).every((c) => c.ok) &&
    (screening?.ok ?? true)
  return { ready, checks: { accepting, store, rpc, signer, ...(screening ? { screening } : {}) } }
}
