import { multicall3Address } from '@tollgate/evm'
import type { Hex } from 'viem'

/** `getBlockNumber()` of Multicall3: the block every on-chain answer of a decision comes from. */
export const getBlockNumberData: Hex = '0x42cbb15c'

export { multicall3Address }
