import { isX402Error, parseAtomicAmount, parseMoney, type TollgateRequest } from '@tollgate/protocol'
import { fail, isPlainObject } from '../fail.ts'

/** A price as offers take it (see `Price` in `routeOptions.ts`). */
type Price = `$${string}` | `${bigint}` | bigint

const atomicOf = (price: Price, decimals: number): bigint =>
  typeof price === 'bigint' ? price : price.startsWith('$') ? parseMoney(price, { decimals }) : parseAtomicAmount(price)

/**
 * When a paid route or tool delivers: `'settled'` (default) once the settlement's receipt is seen;
 * `'optimistic'` once the payment is verified, reserved and its settlement transaction broadcast,
 * within the exposure limits (the settlement finishes in the background).
 */
export type Delivery = 'optimistic' | 'settled'

/**
 * The bounds of a route's (or tool's) optimistic delivery. Prices as in the offers (`'$0.01'`, or
 * atomic units). Past a bound the payment is delivered settled, never refused.
 */
export type OptimisticOptions = {
  /** The route's price ceiling: a payment of more is delivered settled. Default: none (the facilitator's per-payer limit bounds it). */
  maxPrice?: Price
  /** The most one payer may hold unconfirmed (every route, the facilitator's ledger). Default: the facilitator's (1 USDC). */
  maxPerPayer?: Price
  /** The most the seller's `payTo` may hold unconfirmed from every payer. Default: the facilitator's (100 USDC). */
  maxPerSeller?: Price
}

/** A route's delivery, validated at construction. */
export type CompiledDelivery = { delivery: Delivery; optimistic: OptimisticOptions }

const bounds = ['maxPrice', 'maxPerPayer', 'maxPerSeller'] as const

/** Checks `delivery` and `optimistic` once, at construction, against every offer's decimals. */
export function compileDelivery(
  field: string,
  delivery: unknown,
  optimistic: unknown,
  decimals: readonly number[],
): CompiledDelivery {
  if (delivery !== undefined && delivery !== 'optimistic' && delivery !== 'settled') {
    fail(`${field}.delivery`, 'must be "optimistic" or "settled"', delivery)
  }
  if (optimistic !== undefined && !isPlainObject(optimistic)) {
    fail(`${field}.optimistic`, 'must be { maxPrice?, maxPerPayer?, maxPerSeller? }', optimistic)
  }
  const options = (optimistic ?? {}) as OptimisticOptions
  for (const bound of bounds) {
    const value = options[bound]
    if (value === undefined) continue
    for (const places of decimals) {
      try {
        if (typeof value !== 'bigint' && typeof value !== 'string') throw new TypeError('not a price')
        if (atomicOf(value, places) < 0n) throw new RangeError('negative')
      } catch (error) {
        const reason = isX402Error(error)
          ? error.shortMessage
          : 'must be "$0.01", or atomic units as a bigint or string'
        fail(`${field}.optimistic.${bound}`, reason, value)
      }
    }
  }
  return { delivery: delivery ?? 'settled', optimistic: { ...options } }
}

/**
 * The `tollgate` fields asking the facilitator for optimistic delivery of a payment of `amount`
 * (atomic units of an asset with `decimals`), or `undefined` when the payment is to be delivered
 * settled (the route's mode, or a price over its ceiling).
 */
export function optimisticRequest(
  compiled: CompiledDelivery,
  amount: bigint,
  decimals: number,
): Pick<TollgateRequest, 'delivery' | 'exposure'> | undefined {
  if (compiled.delivery !== 'optimistic') return undefined
  const { maxPrice, maxPerPayer, maxPerSeller } = compiled.optimistic
  const atomic = (price: Price) => atomicOf(price, decimals)
  if (maxPrice !== undefined && amount > atomic(maxPrice)) return undefined
  const exposure = {
    ...(maxPerPayer === undefined ? {} : { perPayer: atomic(maxPerPayer).toString() }),
    ...(maxPerSeller === undefined ? {} : { perSeller: atomic(maxPerSeller).toString() }),
  }
  return { delivery: 'optimistic', ...(Object.keys(exposure).length > 0 ? { exposure } : {}) }
}
