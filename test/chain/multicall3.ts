import type { Address, Chain, HttpTransport, TestClient } from 'viem'
import { multicall3 } from './contracts/artifacts.ts'

/** Multicall3's address on every chain that has it, Base and Base Sepolia included. */
export const multicall3Address: Address = '0xcA11bde05977b3631167028862bE2a173976CA11'

/**
 * Places our Multicall3 (`contracts/Multicall3.sol`) at its canonical address, as Base has it, so
 * `publicClient.multicall` and batched settlements work without `deployless`.
 *
 * @example
 * import { placeMulticall3 } from './multicall3.ts'
 * await placeMulticall3({ testClient })
 */
export async function placeMulticall3({
  testClient,
}: {
  testClient: TestClient<'anvil', HttpTransport, Chain>
}): Promise<void> {
  await testClient.setCode({ address: multicall3Address, bytecode: multicall3.deployedBytecode })
}
