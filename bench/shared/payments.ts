/**
 * Pre-signed `exact` payments for the benchmarks: `POST /verify` bodies (x402 v2) of distinct
 * EIP-3009 authorizations from the local chain's eight payers to the seller, signed natively
 * (libsecp256k1) so that signing thousands takes well under a second.
 */
import { createRequire } from 'node:module'
import { authorizationDigest, domainSeparator, toExactAuthorization } from '@tollgate/evm'
import { assets } from '@tollgate/protocol'
import { toHex } from 'viem'
import { devPrivateKeys } from '../../test/chain/accounts.ts'
import type { LocalChain } from '../../test/chain/localChain.ts'

type Secp256k1 = { ecdsaSign(message: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number } }
const secp256k1 = createRequire(import.meta.url)('secp256k1/bindings.js') as Secp256k1

/** `count` JSON bodies of `POST /verify`, each a distinct payment of 1000 atomic USDC (valid for an hour). */
export function signPaymentBodies(chain: LocalChain, count: number): string[] {
  const { name, version } = assets['eip155:8453']
  const separator = domainSeparator({ name, version, chainId: 8453, verifyingContract: chain.usdc })
  const payTo = chain.accounts.seller.address
  const validBefore = String(Math.floor(Date.now() / 1000) + 3_600)
  const requirements = {
    scheme: 'exact',
    network: 'eip155:8453',
    amount: '1000',
    asset: chain.usdc,
    payTo,
    maxTimeoutSeconds: 3_600,
    extra: { name, version },
  }
  const keys = devPrivateKeys.slice(2).map((key) => Uint8Array.from(Buffer.from(key.slice(2), 'hex')))
  const bodies: string[] = []
  for (let i = 0; i < count; i++) {
    const payer = chain.accounts.payers[i % 8] as (typeof chain.accounts.payers)[number]
    const authorization = {
      from: payer.address,
      to: payTo,
      value: '1000',
      validAfter: '0',
      validBefore,
      nonce: toHex(crypto.getRandomValues(new Uint8Array(32))),
    }
    const digest = authorizationDigest(separator, toExactAuthorization(authorization)) as Uint8Array
    const { signature, recid } = secp256k1.ecdsaSign(digest, keys[i % 8] as Uint8Array)
    const full = new Uint8Array(65)
    full.set(signature)
    full[64] = 27 + recid
    const payload = { signature: toHex(full), authorization }
    bodies.push(
      JSON.stringify({
        x402Version: 2,
        paymentPayload: { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepted: requirements, payload },
        paymentRequirements: requirements,
      }),
    )
  }
  return bodies
}
