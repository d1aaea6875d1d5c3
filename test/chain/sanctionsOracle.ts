import {
  type Address,
  type Chain,
  encodeAbiParameters,
  type Hex,
  type HttpTransport,
  keccak256,
  type TestClient,
  toHex,
} from 'viem'
import { sanctionsOracle } from './contracts/artifacts.ts'

/** The Chainalysis sanctions oracle's address on Base (8453), where the facilitator screens with it by default. */
export const chainalysisOracleAddress: Address = '0x3A91A31cB3dC49b4db9Ce721F50a9D076c8D739B'

/** Storage slot of `SanctionsOracle.sanctioned` (`mapping(address => bool)`, slot 0). */
const sanctionedSlot = 0n

/**
 * Places our `SanctionsOracle` (`contracts/SanctionsOracle.sol`, the Chainalysis read interface) at the Chainalysis
 * address of Base, listing `sanctioned` by writing its storage (no transaction: no dev account's nonce is used).
 *
 * @example
 * import { placeSanctionsOracle } from './sanctionsOracle.ts'
 * await placeSanctionsOracle({ testClient, sanctioned: ['0x00000000000000000000000000000000000bad01'] })
 */
export async function placeSanctionsOracle({
  testClient,
  sanctioned = [],
}: {
  testClient: TestClient<'anvil', HttpTransport, Chain>
  sanctioned?: readonly Address[]
}): Promise<void> {
  await testClient.setCode({ address: chainalysisOracleAddress, bytecode: sanctionsOracle.deployedBytecode })
  await Promise.all(
    sanctioned.map((address) =>
      testClient.setStorageAt({
        address: chainalysisOracleAddress,
        index: keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [address, sanctionedSlot])),
        value: toHex(1n, { size: 32 }) as Hex,
      }),
    ),
  )
}
