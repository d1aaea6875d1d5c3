export type CreateGasPolicyOptions = {
  /** The price of 1 ETH in the asset's unit (USD for USDC), as a decimal string such as `"3000"`. */
  ethPrice: string
  /**
   * The largest share of a payment's value its settlement alone may cost, as a decimal string such as
   * `"0.5"`; a payment past it is settled in a batch with others, if that is cheap enough.
   */
  maxShare: string
  /**
   * The largest share of a payment's value its part of a batch may cost. Default `"1"`: a batch never
   * costs more gas than its payments bring in.
   */
  maxBatchedShare?: string
}

export type GasPolicyParameters = {
  /** The payment's value in the asset's atomic units. */
  amount: bigint
  /** The asset's decimals (6 for USDC). */
  decimals: number
  /** The settlement's gas (what it is expected to use). */
  gas: bigint
  /** What each gas unit costs, in wei (the base fee plus the tip). */
  maxFeePerGas: bigint
  /** The payment's part of the L1 data fee, in wei. Default `0n`. */
  l1Fee?: bigint
}

export type GasPolicyResult =
  | { ok: true }
  | {
      ok: false
      code: 'amount_too_low'
      message: string
      /** The estimated cost, in the asset's atomic units. */
      cost: bigint
      /** The smallest payment this cost allows, in the asset's atomic units. */
      needed: bigint
    }

/** Whether a settlement is worth its gas; see {@link createGasPolicy}. */
export type GasPolicy = (parameters: GasPolicyParameters) => GasPolicyResult

type Ratio = { numerator: bigint; denominator: bigint }

function parseDecimal(name: string, value: string): Ratio {
  const match = /^([0-9]+)(?:\.([0-9]+))?$/.exec(value.trim())
  if (!match) throw new TypeError(`${name}: expected a non-negative decimal such as 0.5, got ${JSON.stringify(value)}`)
  const fraction = match[2] ?? ''
  return { numerator: BigInt(`${match[1]}${fraction}`), denominator: 10n ** BigInt(fraction.length) }
}

/**
 * The gas policy's rule: refuses (`amount_too_low`) a settlement whose cost, `gas × maxFeePerGas +
 * l1Fee` converted at `ethPrice`, exceeds `maxShare` of the payment's value (the facilitator feeds it
 * the honest cost, see `judgeSettlementCost`). All
 * arithmetic is on bigints (decimal strings are parsed exactly, no floats); the asset is taken to be
 * priced in the unit of `ethPrice` (USD for USDC).
 *
 * @example
 * import { createGasPolicy } from './createGasPolicy.ts'
 * const policy = createGasPolicy({ ethPrice: '3000', maxShare: '0.5' })
 * policy({ amount: 10n, decimals: 6, gas: 150_000n, maxFeePerGas: 10n ** 9n }) // { ok: false, code: 'amount_too_low', … }
 */
export function createGasPolicy({ ethPrice, maxShare }: CreateGasPolicyOptions): GasPolicy {
  const price = parseDecimal('ethPrice', ethPrice)
  const share = parseDecimal('maxShare', maxShare)
  return function gasPolicy({ amount, decimals, gas, maxFeePerGas, l1Fee = 0n }) {
    const unit = 10n ** BigInt(decimals)
    const wei = gas * maxFeePerGas + l1Fee
    // cost (atomic) = wei × price × 10^decimals / 10^18; refuse when cost > amount × share.
    const costScaled = wei * price.numerator * unit * share.denominator
    const allowedScaled = amount * share.numerator * price.denominator * 10n ** 18n
    if (costScaled <= allowedScaled) return { ok: true }
    const cost = (wei * price.numerator * unit) / (price.denominator * 10n ** 18n)
    const neededScale = share.numerator * price.denominator * 10n ** 18n
    const needed = share.numerator === 0n ? 0n : (costScaled + neededScale - 1n) / neededScale
    const l1 = l1Fee > 0n ? ` and ${l1Fee} wei of L1 data fee` : ''
    return {
      ok: false,
      code: 'amount_too_low',
      message: `Settling would cost about ${cost} atomic units of gas (${gas} gas at ${maxFeePerGas} wei${l1}), more than ${maxShare} of the payment's ${amount}; a price of at least ${needed} atomic units pays for it.`,
      cost,
      needed,
    }
  }
}
