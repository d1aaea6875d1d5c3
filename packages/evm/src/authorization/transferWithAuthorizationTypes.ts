import { keccak256, toBytes } from 'viem'

/**
 * The EIP-712 types of an EIP-3009 `TransferWithAuthorization`, as viem's `signTypedData` and
 * `hashTypedData` take them (`primaryType: 'TransferWithAuthorization'`).
 *
 * @example
 * import { transferWithAuthorizationTypes } from '@tollgate/evm'
 * await account.signTypedData({ domain, types: transferWithAuthorizationTypes, primaryType: 'TransferWithAuthorization', message })
 * @see https://eips.ethereum.org/EIPS/eip-3009
 */
export const transferWithAuthorizationTypes = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const

/**
 * keccak256 of the `TransferWithAuthorization(...)` type string (FiatToken's `TRANSFER_WITH_AUTHORIZATION_TYPEHASH`),
 * the string read from {@link transferWithAuthorizationTypes} (the struct is written once), hashed once at load.
 */
export const transferWithAuthorizationTypeHash: Uint8Array = keccak256(
  toBytes(
    `TransferWithAuthorization(${transferWithAuthorizationTypes.TransferWithAuthorization.map(({ type, name }) => `${type} ${name}`).join(',')})`,
  ),
  'bytes',
)
