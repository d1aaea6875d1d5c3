/**
 * The key a payment's use on chain is looked up by, shared by the lookups (`authorizationUse.ts`) and the decoding
 * of a transaction (`paymentInTransaction.ts`). A leaf: it imports none of the modules that use it.
 */
import type { Address, Hex } from 'viem'

/** One authorization, as the token keys it. */
export type AuthorizationKey = { asset: Address; payer: Address; nonce: Hex }
