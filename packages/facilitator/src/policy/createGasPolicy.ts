export type CreateGasPolicyOptions = {
  /** The price of 1 ETH in the asset's unit (USD for USDC), as a decimal string such as `"3000"`. */
  ethPrice: string
  /** The largest share of a payment's value its gas may cost, as a decimal string such as `"0.5"`. */
  maxShare: string
}

export type GasPolicyParameters = {
  /** The payment's value in the asset's atomic units. */
  amount: bigint
  /** The asset's decimals (6 for USDC). */
  decimals: number
  /** The settlement's gas limit. */
  gas: bigint
  /** The current `maxFeePerGas`, in wei. */
  maxFeePerGas: bigint
}

export type GasPolicyResult = { ok: true } | { ok: false; code: 'amount_too_low'; message: string }

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
 * The gas policy: refuses (`amount_too_low`) a settlement whose worst-case gas cost, gas limit ×
 * current `maxFeePerGas` converted at `ethPrice`, exceeds `maxShare` of the payment's value. All
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
  return function gasPolicy({ amount, decimals, gas, maxFeePerGas }) {
    const unit = 10n ** BigInt(decimals)
    // cost (atomic) = gas × fee × price × 10^decimals / 10^18; refuse when cost > amount × share.
    const costScaled = gas * maxFeePerGas * price.numerator * unit * share.denominator
    const allowedScaled = amount * share.numerator * price.denominator * 10n ** 18n
    if (costScaled <= allowedScaled) return { ok: true }
    const cost = (gas * maxFeePerGas * price.numerator * unit) / (price.denominator * 10n ** 18n)
    return {
      ok: false,
      code: 'amount_too_low',
      message: `Settling would cost up to ${cost} atomic units of gas (${gas} gas at ${maxFeePerGas} wei), more than ${maxShare} of the payment's ${amount}.`,
    }
  }
}
