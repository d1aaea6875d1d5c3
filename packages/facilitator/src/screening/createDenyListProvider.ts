import type { Address } from 'viem'
import type { ProviderOutcome, ScreeningProvider } from './types.ts'

const clear: ProviderOutcome = { kind: 'clear' }

/** The operator's deny list (a floor: the allow list cannot override it). */
export function createDenyListProvider({ addresses }: { addresses: readonly Address[] }): ScreeningProvider {
  const denied = new Set(addresses.map((address) => address.toLowerCase()))
  const check = (address: Address): ProviderOutcome => (denied.has(address) ? { kind: 'hit' } : clear)
  return {
    id: 'denylist',
    floor: true,
    onError: 'block',
    screen: (context) => ({
      payer: check(context.payer),
      payee: check(context.payee),
      version: { count: denied.size },
    }),
  }
}
