/**
 * A local chain with Multicall3, a facilitator over it (native recovery, memory or SQLite ledger),
 * and helpers that build x402 v1/v2 `/verify` and `/settle` bodies. Test-only.
 */
import {
  type CreateFacilitatorOptions,
  createFacilitator,
  createMemoryStore,
  type Facilitator,
  type Store,
} from '@tollgate/facilitator'
import { assets, type ExactEvmPayload } from '@tollgate/protocol'
import type { Address, Hex, LocalAccount } from 'viem'
import { createNativeRecover } from '../../apps/facilitator/src/engine/nativeRecover.ts'
import { createApp } from '../../apps/facilitator/src/http/app.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

export type Fixture = {
  chain: LocalChain
  facilitator: Facilitator
  app: ReturnType<typeof createApp>
  usdc: Address
  payTo: Address
  now(): bigint
  /** v2 requirements for `amount` atomic units to the seller. */
  requirementsV2(overrides?: Record<string, unknown>): Record<string, unknown>
  requirementsV1(overrides?: Record<string, unknown>): Record<string, unknown>
  bodyV2(payload: ExactEvmPayload, requirements?: Record<string, unknown>): Record<string, unknown>
  bodyV1(payload: ExactEvmPayload, requirements?: Record<string, unknown>): Record<string, unknown>
  /** An authorization signed by `payer` (v2 defaults: validAfter 0, validBefore now + 300, value 10_000, to the seller). */
  sign(
    payer: LocalAccount,
    overrides?: Partial<{
      from: Address
      to: Address
      value: bigint
      validAfter: bigint
      validBefore: bigint
      nonce: Hex
    }>,
  ): Promise<ExactEvmPayload>
  post(path: '/verify' | '/settle', body: unknown): Promise<{ status: number; json: Record<string, unknown> }>
  /**
   * Another facilitator "node" on the same chain and the same ledger, with its own signer: what a
   * second process sharing the Store would be. Closing it leaves the shared store open.
   */
  peer(options: { account: LocalAccount } & CreateFacilitatorOptions): Peer
  stop(): Promise<void>
}

export type Peer = {
  facilitator: Facilitator
  post(path: '/verify' | '/settle', body: unknown): Promise<{ status: number; json: Record<string, unknown> }>
  close(): Promise<void>
}

async function postTo(
  app: ReturnType<typeof createApp>,
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

export type StartFixtureOptions = CreateFacilitatorOptions & { store?: Store }

export async function startFixture(options: StartFixtureOptions = {}): Promise<Fixture> {
  const chain = await startLocalChain()
  try {
    const { store = createMemoryStore(), ...facilitatorOptions } = options
    const facilitator = createFacilitator(
      {
        store,
        networks: [{ network: chain.network, client: chain.publicClient, account: chain.accounts.facilitator }],
      },
      {
        recover: createNativeRecover(),
        eip6492Factories: [chain.factory],
        pollingIntervalMs: 20,
        receiptTimeoutMs: 10_000,
        // anvil now and then holds a settlement in its queued pool although its nonce is next (seen under
        // a thousand concurrent sends with automine); a replacement frees it. Fast here, 15 s by default.
        replaceAfterMs: 3_000,
        ...facilitatorOptions,
      },
    )
    const app = createApp(facilitator)
    const usdc = chain.usdc
    const payTo = chain.accounts.seller.address
    const { name, version } = assets[chain.network]
    const now = () => BigInt(Math.floor(Date.now() / 1000))
    const requirementsV2 = (overrides: Record<string, unknown> = {}) => ({
      scheme: 'exact',
      network: chain.network,
      amount: '10000',
      asset: usdc,
      payTo,
      maxTimeoutSeconds: 300,
      extra: { name, version },
      ...overrides,
    })
    const requirementsV1 = (overrides: Record<string, unknown> = {}) => ({
      scheme: 'exact',
      network: 'base',
      maxAmountRequired: '10000',
      resource: 'http://127.0.0.1/paid',
      description: 'test',
      mimeType: 'application/json',
      payTo,
      maxTimeoutSeconds: 300,
      asset: usdc,
      extra: { name, version },
      ...overrides,
    })
    return {
      chain,
      facilitator,
      app,
      usdc,
      payTo,
      now,
      requirementsV2,
      requirementsV1,
      bodyV2: (payload, requirements = requirementsV2()) => ({
        x402Version: 2,
        paymentPayload: { x402Version: 2, resource: { url: 'http://127.0.0.1/paid' }, accepted: requirements, payload },
        paymentRequirements: requirements,
      }),
      bodyV1: (payload, requirements = requirementsV1()) => ({
        x402Version: 1,
        paymentPayload: { x402Version: 1, scheme: 'exact', network: requirements.network, payload },
        paymentRequirements: requirements,
      }),
      sign: (payer, overrides = {}) =>
        chain.signTransferAuthorization({
          payer,
          to: payTo,
          value: 10_000n,
          validAfter: 0n,
          validBefore: now() + 300n,
          ...overrides,
        }),
      post: (path, body) => postTo(app, path, body),
      peer({ account, ...peerOptions }) {
        const shared: Store = { ...store, close: async () => undefined }
        const peer = createFacilitator(
          { store: shared, networks: [{ network: chain.network, client: chain.publicClient, account }] },
          {
            recover: createNativeRecover(),
            eip6492Factories: [chain.factory],
            pollingIntervalMs: 20,
            receiptTimeoutMs: 10_000,
            replaceAfterMs: 3_000,
            ...peerOptions,
          },
        )
        const peerApp = createApp(peer)
        return { facilitator: peer, post: (path, body) => postTo(peerApp, path, body), close: () => peer.close() }
      },
      async stop() {
        await facilitator.close()
        await chain.stop()
      },
    }
  } catch (error) {
    await chain.stop()
    throw error
  }
}
