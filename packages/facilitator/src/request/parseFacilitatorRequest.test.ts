import { exactEvmPayloadSchema, facilitatorRequestV2Schema } from '@tollgate/protocol'
import { createPublicClient, http } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, describe, expect, test } from 'vitest'
import { createFacilitator } from '../createFacilitator.ts'
import { createMemoryStore } from '../store/createMemoryStore.ts'
import { parseFacilitatorRequest } from './parseFacilitatorRequest.ts'

// anvil dev account #0, a public test key; nothing here reaches the chain.
const account = privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80')
const facilitator = createFacilitator({
  store: createMemoryStore(),
  networks: [
    { network: 'eip155:8453', client: createPublicClient({ transport: http('http://127.0.0.1:9') }), account },
  ],
})
afterAll(() => facilitator.close())

const requirements = {
  scheme: 'exact',
  network: 'eip155:8453',
  amount: '10000',
  asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
  payTo: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  maxTimeoutSeconds: 60,
  extra: { name: 'USD Coin', version: '2' },
}
const authorization = {
  from: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  to: requirements.payTo,
  value: '10000',
  validAfter: '0',
  validBefore: '1900000000',
  nonce: `0x${'22'.repeat(32)}`,
}
const body = (payload: unknown, overrides: Record<string, unknown> = {}) => ({
  x402Version: 2,
  paymentPayload: { x402Version: 2, accepted: requirements, payload },
  paymentRequirements: requirements,
  ...overrides,
})

describe('parseFacilitatorRequest', () => {
  test('default: resolves a v2 request; the payload hash is the EIP-712 digest', () => {
    const parsed = parseFacilitatorRequest(facilitator, body({ signature: `0x${'11'.repeat(65)}`, authorization }))
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.request.id).toBe(
      'eip155:8453/0x833589fcd6edb6e08f4c7c32d4f71b54bda02913/0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc/0x2222222222222222222222222222222222222222222222222222222222222222',
    )
    expect(parsed.request.payloadHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(parsed.request.requirements.amount).toBe(10_000n)
  })

  test('behavior: the hand-written payload check agrees with the zod schema', () => {
    const cases: unknown[] = [
      { signature: `0x${'11'.repeat(65)}`, authorization },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, extra: 1 }, extra: true },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, value: 10000 } },
      { signature: '0x1', authorization },
      { signature: '0x', authorization },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, value: '010' } },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, value: (2n ** 256n).toString() } },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, value: (2n ** 256n - 1n).toString() } },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, from: '0x12' } },
      { signature: `0x${'11'.repeat(65)}`, authorization: { ...authorization, nonce: '0x22' } },
      { signature: `0x${'11'.repeat(65)}` },
      null,
      'payload',
    ]
    for (const payload of cases) {
      const zod = exactEvmPayloadSchema.safeParse(payload)
      const ours = parseFacilitatorRequest(facilitator, body(payload))
      expect(ours.ok, JSON.stringify(payload)).toBe(zod.success)
      if (!ours.ok) expect(['invalid_payload', 'invalid_request']).toContain(ours.code)
    }
  })

  test('behavior: the hand-written v2 request check accepts nothing the zod schema refuses', () => {
    const payload = { signature: `0x${'11'.repeat(65)}`, authorization }
    const valid = body(payload)
    const withRequirements = (change: Record<string, unknown>) => ({ ...requirements, ...change })
    const requirementCases: Record<string, unknown>[] = [
      { scheme: '' },
      { scheme: 1 },
      { network: 'Eip155:8453' },
      { network: 'eip155:' },
      { amount: '010' },
      { amount: 10000 },
      { amount: (2n ** 256n).toString() },
      { asset: '' },
      { payTo: undefined },
      { maxTimeoutSeconds: 0 },
      { maxTimeoutSeconds: 1.5 },
      { maxTimeoutSeconds: 2 ** 53 },
      { maxTimeoutSeconds: '60' },
      { extra: [] },
      { extra: null },
      { extra: Object.create(null) },
      { extra: { constructor: () => undefined } },
      { extra: { [Symbol('key')]: 1 } },
      { extra: undefined },
      { unknownKey: true },
    ]
    const cases: unknown[] = [
      valid,
      { ...valid, x402Version: undefined },
      { ...valid, paymentPayload: { ...valid.paymentPayload, resource: { url: 'http://x', description: 'd' } } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, resource: { url: '' } } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, resource: { url: 'http://x', mimeType: 1 } } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, resource: null } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, resource: [] } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, payload: [] } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, payload: null } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, extensions: {} } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, extensions: [] } },
      { ...valid, paymentPayload: { ...valid.paymentPayload, accepted: undefined } },
      { ...valid, paymentPayload: [] },
      { ...valid, paymentRequirements: [] },
      ...requirementCases.flatMap((change) => [
        { ...valid, paymentRequirements: withRequirements(change) },
        { ...valid, paymentPayload: { ...valid.paymentPayload, accepted: withRequirements(change) } },
      ]),
    ]
    for (const request of cases) {
      const zod = facilitatorRequestV2Schema.safeParse(request)
      const ours = parseFacilitatorRequest(facilitator, request)
      const refused = !ours.ok && (ours.code === 'invalid_request' || ours.code === 'invalid_x402_version')
      expect(refused, String(JSON.stringify(request))).toBe(!zod.success)
    }
  })

  test('behavior: 400 codes for what we do not serve', () => {
    const payload = { signature: `0x${'11'.repeat(65)}`, authorization }
    expect(parseFacilitatorRequest(facilitator, body(payload, { x402Version: 1 }))).toMatchObject({
      ok: false,
      code: 'invalid_x402_version',
    })
    const v1 = { ...requirements, network: 'base', maxAmountRequired: '10000', resource: 'http://x', description: '' }
    expect(
      parseFacilitatorRequest(facilitator, {
        x402Version: 1,
        paymentPayload: { x402Version: 1, scheme: 'exact', network: 'polygon', payload },
        paymentRequirements: { ...v1, network: 'polygon' },
      }),
    ).toMatchObject({ ok: false, code: 'invalid_network' })
    expect(
      parseFacilitatorRequest(facilitator, body(payload, { paymentRequirements: { ...requirements, asset: 'USDC' } })),
    ).toMatchObject({ ok: false, code: 'invalid_payment_requirements' })
  })

  test('behavior: a v1 payload naming another network than its requirements is a mismatch, not a 400', () => {
    const payload = { signature: `0x${'11'.repeat(65)}`, authorization }
    const v1 = { ...requirements, network: 'base', maxAmountRequired: '10000', resource: 'http://x', description: '' }
    const parsed = parseFacilitatorRequest(facilitator, {
      x402Version: 1,
      paymentPayload: { x402Version: 1, scheme: 'exact', network: 'base-sepolia', payload },
      paymentRequirements: v1,
    })
    expect(parsed).toMatchObject({
      ok: true,
      request: { mismatch: 'invalid_exact_evm_network_mismatch', network: 'base' },
    })
  })

  test('security: tollgate.resource and responseHash are checked by hand as zod checks them (receipts)', () => {
    const payload = { signature: `0x${'11'.repeat(65)}`, authorization }
    const claim = 'claim-0123456789abcdef'
    const hash = `0x${'5e'.repeat(32)}`
    const good = parseFacilitatorRequest(
      facilitator,
      body(payload, { tollgate: { claim, resource: 'https://api.example.com/x?y=1', responseHash: hash } }),
    )
    expect(good).toMatchObject({
      ok: true,
      request: { resourceUrl: 'https://api.example.com/x?y=1', responseHash: hash },
    })
    for (const tollgate of [
      { claim, resource: 'javascript:alert(1)' },
      { claim, resource: `https://x.example/${'a'.repeat(2100)}` },
      { claim, responseHash: hash.toUpperCase() },
      { claim, responseHash: 'sha256:abc' },
      { claim, responseHash: 42 },
    ]) {
      const parsed = parseFacilitatorRequest(facilitator, body(payload, { tollgate }))
      expect(parsed).toMatchObject({ ok: false, code: 'invalid_request' })
      expect(facilitatorRequestV2Schema.safeParse(body(payload, { tollgate })).success).toBe(false)
    }
    // An MCP tool is a resource too.
    const tool = parseFacilitatorRequest(facilitator, body(payload, { tollgate: { claim, resource: 'mcp://tool/x' } }))
    expect(tool).toMatchObject({ ok: true, request: { resourceUrl: 'mcp://tool/x' } })
  })

  test('security: the buyer never names the receipt resource (issue 21, item 3)', () => {
    const payload = { signature: `0x${'11'.repeat(65)}`, authorization }
    const claim = 'claim-0123456789abcdef'
    const echo = { url: 'https://api.expensive.example/premium-report' }
    const withEcho = (tollgate?: unknown) => ({
      ...body(payload, tollgate === undefined ? {} : { tollgate }),
      paymentPayload: { x402Version: 2, accepted: requirements, payload, resource: echo },
    })
    // A plain v2 resource server names no resource: no receipt resource, whatever the buyer echoed.
    const plain = parseFacilitatorRequest(facilitator, withEcho())
    expect(plain.ok && plain.request.resourceUrl).toBeUndefined()
    // A Tollgate resource server that names none (no public origin): none either.
    const unnamed = parseFacilitatorRequest(facilitator, withEcho({ claim }))
    expect(unnamed.ok && unnamed.request.resourceUrl).toBeUndefined()
    // The resource server's word wins over the echo.
    const named = parseFacilitatorRequest(facilitator, withEcho({ claim, resource: 'mcp://tool/cheap' }))
    expect(named).toMatchObject({ ok: true, request: { resourceUrl: 'mcp://tool/cheap' } })
  })
})
