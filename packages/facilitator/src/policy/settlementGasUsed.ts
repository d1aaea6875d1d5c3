import type { VerifiedSignature } from '@tollgate/evm'

/**
 * The gas one settlement transaction uses (not its limit), measured on anvil (Prague) with the
 * EIP-3009 test token at Base's USDC address: `transferWithAuthorization` alone per signature kind
 * (an ERC-6492 wallet deployed in the same transaction), and a Multicall3 `tryAggregate` batch of
 * EOA payments as `batchOverhead + n × batchPerPayment`. `test/economics/settlementGas.test.ts` measures
 * them again and fails if they drift. FiatToken on Base runs the same storage writes (nonce, two
 * balances) behind a proxy: a little more, covered by the policy's share.
 */
export const settlementGasUsed = {
  eoa: 75_751n,
  erc1271: 79_673n,
  erc6492: 386_076n,
  batchOverhead: 51_307n,
  batchPerPayment: 39_598n,
} as const

/**
 * The unsigned size of a settlement transaction in bytes (EIP-1559 envelope and calldata), for its L1
 * data fee: alone per signature kind (the ERC-6492 one carries the wallet's deployment), and a batch
 * as `batchOverhead + n × batchPerPayment` (each payment a `tryAggregate` call of 448 bytes).
 */
export const settlementBytes = {
  eoa: 350n,
  erc1271: 450n,
  erc6492: 1_400n,
  batchOverhead: 120n,
  batchPerPayment: 448n,
} as const

/**
 * Gas used per payment when `size` EOA payments share one transaction (`size` 1: settled alone, of
 * signature `kind`), rounded up.
 */
export function gasUsedPerPayment(kind: VerifiedSignature['kind'], size = 1): bigint {
  if (size <= 1 || kind !== 'eoa') return settlementGasUsed[kind]
  const n = BigInt(size)
  return (settlementGasUsed.batchOverhead + n * settlementGasUsed.batchPerPayment + n - 1n) / n
}
