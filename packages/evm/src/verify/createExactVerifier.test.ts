/** The verifier against a local anvil, with its default (pure JS) recovery. */
import { assets } from '@tollgate/protocol'
import { createClient, custom } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../../../../test/chain/localChain.ts'
import { toHighS } from '../../../../test/facilitator/signatures.ts'
import { toExactAuthorization } from '../authorization/toExactAuthorization.ts'
import { transferWithAuthorizationTypes } from '../authorization/transferWithAuthorizationTypes.ts'
import { createExactVerifier, type ExactVerifier } from './createExactVerifier.ts'
import { createMulticallScheduler } from './createMulticallScheduler.ts'
import { jsRecoverAddress } from './recoverAddress.ts'

let chain: LocalChain
let verify: ExactVerifier
beforeAll(async () => {
  chain = await startLocalChain()
  verify = createExactVerifier(chain.publicClient, { chainId: 8453 })
})
afterAll(() => chain?.stop())

const now = () => BigInt(Math.floor(Date.now() / 1000))
const { name, version } = assets['eip155:8453']

async function payment(payerIndex: number, value = 10_000n) {
  const payer = chain.accounts.payers[payerIndex] as (typeof chain.accounts.payers)[number]
  const payload = await chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value,
    validAfter: 0n,
    validBefore: now() + 120n,
  })
  return {
    authorization: toExactAuthorization(payload.authorization),
    signature: payload.signature,
    requirements: { asset: chain.usdc, payTo: chain.accounts.seller.address, amount: value, extra: { name, version } },
    now: now(),
  }
}

describe('createExactVerifier', () => {
  test('default: a valid EOA payment, pure JS recovery', async () => {
    const parameters = await payment(0)
    expect(await verify(parameters)).toEqual({
      ok: true,
      payer: chain.accounts.payers[0].address,
      signature: { kind: 'eoa', signature: parameters.signature },
    })
  })

  test('behavior: high-s is caught locally with the JS recovery too', async () => {
    const parameters = await payment(0)
    const result = await verify({ ...parameters, signature: toHighS(parameters.signature) })
    expect(result).toMatchObject({ ok: false, code: 'invalid_exact_evm_payload_signature_high_s' })
  })

  test('behavior: payments that only fit the balance one at a time all verify when batched together', async () => {
    // 3 x 600 USDC from a payer holding 1,000, verified at once: they share an eth_call, where a later
    // simulation sees an earlier one's transfer, so the verifier re-asks those alone.
    const methods: string[] = []
    const counting = createClient({
      transport: custom({
        request: (args: { method: string; params?: unknown }) => {
          methods.push(args.method)
          return chain.publicClient.request(args as never)
        },
      }),
    })
    const scheduler = createMulticallScheduler(counting, { maxInFlight: 1 })
    let isolated = 0
    const batched = createExactVerifier(counting, {
      chainId: 8453,
      schedule: (group, options) => {
        if (options?.isolated) isolated++
        return scheduler(group, options)
      },
    })
    const payments = await Promise.all([payment(1, 600_000_000n), payment(1, 600_000_000n), payment(1, 600_000_000n)])
    const results = await Promise.all(payments.map((parameters) => batched(parameters)))
    expect(results.map((result) => result.ok)).toEqual([true, true, true])
    // Some simulations failed only because they shared a call, and were asked again alone.
    expect(isolated).toBeGreaterThanOrEqual(1)
    expect(methods.every((method) => method === 'eth_call')).toBe(true)
    expect(methods.length).toBeLessThanOrEqual(1 + isolated + 1)
  })

  test('behavior: the same payment verified concurrently many times is valid every time', async () => {
    const parameters = await payment(2)
    const results = await Promise.all(Array.from({ length: 10 }, () => verify(parameters)))
    expect(results.every((result) => result.ok)).toBe(true)
  })

  test('behavior: the default recovery returns undefined for garbage', async () => {
    expect(await jsRecoverAddress(new Uint8Array(32), new Uint8Array(64), 0)).toBeUndefined()
  })

  test('behavior: verified as sent, the settlement simulation runs beside the batched read (one round trip, not two)', async () => {
    let inFlight = 0
    let peak = 0
    const slow = createClient({
      transport: custom({
        request: async (args: { method: string; params?: unknown }) => {
          inFlight++
          peak = Math.max(peak, inFlight)
          await new Promise((resolve) => setTimeout(resolve, 40))
          try {
            return await chain.publicClient.request(args as never)
          } finally {
            inFlight--
          }
        },
      }),
    })
    const fees = { maxFeePerGas: 10_000_000_000n, maxPriorityFeePerGas: 1_000_000n }
    const asSent = (gas: bigint) =>
      createExactVerifier(slow, {
        chainId: 8453,
        settlement: async () => ({ from: chain.accounts.facilitator.address, gas, ...fees }),
      })
    const parameters = await payment(4)
    expect(await asSent(200_000n)({ ...parameters, asSent: true })).toMatchObject({ ok: true })
    expect(peak).toBe(2)
    // Its verdict counts: a gas limit the transfer cannot run in fails, though the batched read passed.
    expect(await asSent(30_000n)({ ...parameters, asSent: true })).toMatchObject({
      ok: false,
      code: 'invalid_exact_evm_transaction_simulation_failed',
    })
  })

  test('behavior: an asset without code is asset_not_deployed_contract', async () => {
    const nowhere = '0x00000000000000000000000000000000000c0de5'
    const elsewhere = createExactVerifier(chain.publicClient, {
      chainId: 8453,
      assets: [{ ...assets['eip155:8453'], address: nowhere }],
    })
    const payer = chain.accounts.payers[3]
    const message = {
      from: payer.address,
      to: chain.accounts.seller.address,
      value: 10_000n,
      validAfter: 0n,
      validBefore: now() + 120n,
      nonce: `0x${'42'.repeat(32)}`,
    } as const
    const signature = await payer.signTypedData({
      domain: { name, version, chainId: 8453, verifyingContract: nowhere },
      types: transferWithAuthorizationTypes,
      primaryType: 'TransferWithAuthorization',
      message,
    })
    const result = await elsewhere({
      authorization: message,
      signature,
      requirements: { asset: nowhere, payTo: message.to, amount: 10_000n, extra: { name, version } },
      now: now(),
    })
    expect(result).toMatchObject({ ok: false, code: 'asset_not_deployed_contract' })
  })
})
