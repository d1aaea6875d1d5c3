import type { Authorization, PaymentPayloadV2, PaymentRequiredV2, PaymentRequirementsV2 } from '@tollgate/protocol'

/** How far back `validAfter` is set, in seconds, so a clock a little ahead of the chain's still works. */
const validAfterSlack = 600

/** 32 random bytes as 0x-hex: the EIP-3009 nonce. */
export function randomNonce(): `0x${string}` {
  const bytes = crypto.getRandomValues(new Uint8Array(32))
  return `0x${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`
}

/** The chain id of an `eip155:<id>` network, or `undefined` for any other. */
export function chainIdOf(network: string): number | undefined {
  const match = /^eip155:(\d+)$/.exec(network)
  return match ? Number(match[1]) : undefined
}

/**
 * The EIP-3009 authorization paying `offer` from `from`, every number a decimal string:
 * `validAfter` ten minutes back, `validBefore` the offer's `maxTimeoutSeconds` ahead of `now`.
 */
export function newAuthorization(
  offer: PaymentRequirementsV2,
  { from, now, nonce }: { from: string; now: number; nonce: `0x${string}` },
): Authorization {
  return {
    from: from as `0x${string}`,
    to: offer.payTo as `0x${string}`,
    value: offer.amount,
    validAfter: String(Math.max(0, now - validAfterSlack)),
    validBefore: String(now + offer.maxTimeoutSeconds),
    nonce,
  }
}

/**
 * The `eth_signTypedData_v4` payload of `TransferWithAuthorization` for the offer's token: the
 * EIP-712 domain is the offer's `extra.name`/`extra.version`, the chain of its network and the
 * asset as verifying contract. `EIP712Domain` is listed, or some wallets hash an empty domain.
 */
export function transferTypedData(offer: PaymentRequirementsV2, authorization: Authorization) {
  const extra = (offer.extra ?? {}) as { name?: unknown; version?: unknown }
  return {
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
        { name: 'verifyingContract', type: 'address' },
      ],
      TransferWithAuthorization: [
        { name: 'from', type: 'address' },
        { name: 'to', type: 'address' },
        { name: 'value', type: 'uint256' },
        { name: 'validAfter', type: 'uint256' },
        { name: 'validBefore', type: 'uint256' },
        { name: 'nonce', type: 'bytes32' },
      ],
    },
    primaryType: 'TransferWithAuthorization',
    domain: {
      name: String(extra.name),
      version: String(extra.version),
      chainId: chainIdOf(offer.network),
      verifyingContract: offer.asset,
    },
    message: authorization,
  } as const
}

/** The x402 v2 payment for `offer` (echoed as `accepted`), with the quote's resource and extensions echoed. */
export function paymentPayload(
  required: PaymentRequiredV2,
  offer: PaymentRequirementsV2,
  signature: string,
  authorization: Authorization,
): PaymentPayloadV2 {
  return {
    x402Version: 2,
    resource: required.resource,
    accepted: offer,
    payload: { signature, authorization },
    ...(required.extensions ? { extensions: required.extensions } : {}),
  }
}
