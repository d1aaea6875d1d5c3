/**
 * The screened payment of `npm start`: a payer the local sanctions oracle lists (the stack's demo list) tries to pay
 * the demo API with the official `@x402/fetch` client, and the facilitator's default screening refuses it before
 * anything is sent: the buyer gets a 402 whose `PAYMENT-REQUIRED` names `compliance_blocked_payer`.
 */
import { decodeHeader, formatMoney, paymentRequiredV2Schema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { mnemonicToAccount } from 'viem/accounts'
import type { LocalChain } from '../test/chain/localChain.ts'

/**
 * The demo's listed payer: anvil's account #10 (the public "test test … junk" mnemonic, m/44'/60'/0'/0/10), outside
 * the dev accounts the other payments use. The stack puts it on the oracle's list.
 */
export const listedDemoPayer = mnemonicToAccount('test test test test test test test test test test test junk', {
  addressIndex: 10,
})

/** What {@link payScreened} observed. */
export type ScreenedPayment = { status: number; error: string | undefined; before: bigint; after: bigint }

/**
 * Funds the listed payer with 10 USDC (storage, no transaction), pays `path` on the demo as that payer, and logs the
 * refusal and the unchanged balance.
 *
 * @example
 * const refused = await payScreened(stack, { log: console.log }) // { status: 402, error: 'compliance_blocked_payer', … }
 */
export async function payScreened(
  stack: { chain: LocalChain; demo: { url: string } },
  { path = '/weather?city=Oslo', log = () => {} }: { path?: string; log?: (line: string) => void } = {},
): Promise<ScreenedPayment> {
  const { chain, demo } = stack
  const payer = listedDemoPayer
  await chain.mint({ to: payer.address, value: 10_000_000n })
  const before = await chain.balanceOf(payer.address)
  const pay = wrapFetchWithPayment(fetch, new x402Client().register(chain.network, new ExactEvmScheme(payer)))
  const response = await pay(`${demo.url}${path}`)
  await response.body?.cancel()
  const header = response.headers.get('payment-required')
  const error = header ? decodeHeader(paymentRequiredV2Schema, header).error : undefined
  const after = await chain.balanceOf(payer.address)
  log(`paid with @x402/fetch as ${payer.address} (on the oracle's demo list) -> ${response.status}`)
  log(`  PAYMENT-REQUIRED error: ${error ?? '(none)'}`)
  log(
    `  payer:  ${formatMoney(before, { decimals: 6 })} USDC -> ${formatMoney(after, { decimals: 6 })} USDC (nothing sent)`,
  )
  return { status: response.status, error, before, after }
}
