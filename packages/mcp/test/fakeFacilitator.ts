/**
 * The facilitator of the paid-tool tests (paidTool.test.ts, mcpPayments.test.ts), in memory. Kept out of src/
 * so it is neither published nor taken for a test.
 */
import type { FacilitatorCall, FacilitatorClient, SettleResult, VerifyResult } from '@tollgate/hono'
import { privateKeyToAccount } from 'viem/accounts'

export const payer = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
export const payTo = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
export const transaction = `0x${'ab'.repeat(32)}`
export const settled: SettleResult = {
  ok: true,
  response: { success: true, transaction, network: 'eip155:8453', payer: payer.address },
}

export type Log = { endpoint: string; call: FacilitatorCall }[]

/** A facilitator in memory: answers as told, records every call. */
export function fakeFacilitator(
  answers: { verify?: () => VerifyResult; settle?: () => SettleResult; claims?: boolean } = {},
  log: Log = [],
): FacilitatorClient {
  return {
    async verify(call) {
      log.push({ endpoint: 'verify', call })
      return answers.verify?.() ?? { ok: true, payer: payer.address, response: { isValid: true, payer: payer.address } }
    },
    async settle(call) {
      log.push({ endpoint: 'settle', call })
      return answers.settle?.() ?? settled
    },
    async release(call) {
      log.push({ endpoint: 'release', call })
    },
    async deliveryClaims() {
      return answers.claims ?? true
    },
  }
}
