/**
 * Malformed payments are the buyer's fault: the seller answers 400 `invalid_payload` itself and never
 * asks the facilitator. The malformed payloads are generated from a valid signed payment (every field
 * of the authorization and the signature mutated in several ways, the structure broken, the header
 * encoding broken), sent as v2 `PAYMENT-SIGNATURE` and v1 `X-PAYMENT` to a seller whose facilitator
 * is Tollgate's, running over HTTP on loopback against a real anvil. The valid payments then pay, so
 * the facilitator was there to be asked all along.
 */
import { httpFacilitator, paymentRequired } from '@tollgate/hono'
import { decodeHeader, encodeHeader, paymentRequiredV2Schema } from '@tollgate/protocol'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { startTestFacilitator, type TestFacilitator } from './facilitators.ts'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Payload = { signature: string; authorization: Record<string, string> }
/** A named change of the valid `payload` (the `exact` EVM object), or of the whole header. */
type Mutation = { name: string; payload?: (valid: Payload) => Json; header?: (valid: string) => string }

const missing = Symbol('missing')
const set = (valid: Payload, field: string, value: Json | typeof missing): Json => {
  const authorization: Record<string, Json> = { ...valid.authorization }
  if (value === missing) delete authorization[field]
  else authorization[field] = value
  return { signature: valid.signature, authorization }
}

/** Values that are not what every field must be (a string), whatever the field. */
const wrongTypes: [string, Json | typeof missing][] = [
  ['missing', missing],
  ['null', null],
  ['a boolean', true],
  ['an object', { value: '1' }],
  ['an array', ['1']],
  ['empty', ''],
]

function addressMutations(field: string, valid: string): [string, Json | typeof missing][] {
  return [
    ...wrongTypes,
    ['odd-length hex', valid.slice(0, -1)],
    ['19 bytes', valid.slice(0, -2)],
    ['21 bytes', `${valid}00`],
    ['no 0x prefix', valid.slice(2)],
    ['0X prefix', `0X${valid.slice(2)}`],
    ['a non-hex digit', `${valid.slice(0, -1)}g`],
    ['a number', Number.parseInt(valid.slice(2, 14), 16)],
    ['surrounding spaces', ` ${valid} `],
    ['an ENS name', `${field}.eth`],
  ]
}

function nonceMutations(valid: string): [string, Json | typeof missing][] {
  return [
    ...wrongTypes,
    ['31 bytes', valid.slice(0, -2)],
    ['33 bytes', `${valid}00`],
    ['odd-length hex', valid.slice(0, -1)],
    ['a short nonce (0x01)', '0x01'],
    ['no 0x prefix', valid.slice(2)],
    ['a non-hex digit', `${valid.slice(0, -1)}z`],
    ['a number', 1],
    ['just 0x', '0x'],
  ]
}

function uintMutations(valid: string): [string, Json | typeof missing][] {
  return [
    ...wrongTypes,
    ['a number', Number(valid)],
    ['negative', `-${valid}`],
    ['hex', `0x${BigInt(valid).toString(16)}`],
    ['a decimal point', `${valid}.0`],
    ['an exponent', '1e3'],
    ['a leading zero', `0${valid}`],
    ['a plus sign', `+${valid}`],
    ['surrounding spaces', ` ${valid} `],
    ['2^256 (beyond uint256)', (2n ** 256n).toString()],
    ['oversize (100 digits)', '9'.repeat(100)],
  ]
}

function signatureMutations(valid: string): [string, Json | typeof missing][] {
  return [
    ...wrongTypes,
    ['odd-length hex', valid.slice(0, -1)],
    ['no 0x prefix', valid.slice(2)],
    ['a non-hex digit', `${valid.slice(0, -1)}x`],
    ['just 0x', '0x'],
    ['a number', 65],
    ['an array of bytes', [1, 2, 3]],
    ['base64 instead of hex', btoa(valid)],
  ]
}

function mutations(valid: Payload): Mutation[] {
  const list: Mutation[] = []
  for (const field of ['from', 'to'] as const) {
    for (const [name, value] of addressMutations(field, valid.authorization[field] as string)) {
      list.push({ name: `authorization.${field}: ${name}`, payload: (v) => set(v, field, value) })
    }
  }
  for (const field of ['value', 'validAfter', 'validBefore'] as const) {
    for (const [name, value] of uintMutations(valid.authorization[field] as string)) {
      list.push({ name: `authorization.${field}: ${name}`, payload: (v) => set(v, field, value) })
    }
  }
  for (const [name, value] of nonceMutations(valid.authorization.nonce as string)) {
    list.push({ name: `authorization.nonce: ${name}`, payload: (v) => set(v, 'nonce', value) })
  }
  for (const [name, value] of signatureMutations(valid.signature)) {
    list.push({
      name: `signature: ${name}`,
      payload: (v) => {
        const payload: Record<string, Json> = { authorization: v.authorization }
        if (value !== missing) payload.signature = value
        return payload
      },
    })
  }
  list.push(
    { name: 'payload: empty object', payload: () => ({}) },
    { name: 'payload: authorization missing', payload: (v) => ({ signature: v.signature }) },
    { name: 'payload: authorization null', payload: (v) => ({ signature: v.signature, authorization: null }) },
    { name: 'payload: authorization a string', payload: (v) => ({ signature: v.signature, authorization: 'x' }) },
    {
      name: 'payload: authorization an array',
      payload: (v) => ({ signature: v.signature, authorization: [v.authorization] }),
    },
    { name: 'payload: nested once more', payload: (v) => ({ payload: v }) },
    {
      name: 'payload: authorization nested once more',
      payload: (v) => ({ signature: v.signature, authorization: { authorization: v.authorization } }),
    },
    {
      name: 'payload: signature inside the authorization',
      payload: (v) => ({ authorization: { ...v.authorization, signature: v.signature } }),
    },
    { name: 'header: not base64', header: () => '!!!not base64!!!' },
    {
      name: 'header: base64url alphabet',
      header: (h) => h.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') || '-_',
    },
    { name: 'header: base64 of text that is not JSON', header: () => btoa('{"x402Version": 2, payload') },
    { name: 'header: base64 of a JSON array', header: () => btoa('[1, 2]') },
    { name: 'header: base64 of a JSON string', header: () => btoa('"payment"') },
    { name: 'header: truncated', header: (h) => h.slice(0, Math.floor(h.length / 2)) },
  )
  return list
}

describe('malformed payments against a real facilitator over HTTP', () => {
  let chain: LocalChain
  let facilitator: TestFacilitator
  const calls: string[] = []
  let app: Hono

  beforeAll(async () => {
    chain = await startLocalChain()
    facilitator = await startTestFacilitator(chain, 'tollgate')
    app = new Hono()
    app.use(
      paymentRequired({
        facilitator: httpFacilitator({
          url: facilitator.url,
          ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
          fetch: (request) => {
            calls.push(`${request.method} ${new URL(request.url).pathname}`)
            return fetch(request)
          },
        }),
        routes: {
          'GET /weather': {
            accepts: { network: chain.network, price: '$0.001', payTo: chain.accounts.seller.address },
          },
        },
      }),
    )
    app.get('/weather', (c) => c.json({ tempC: 21 }))
  })

  afterAll(async () => {
    try {
      await facilitator?.stop()
    } finally {
      await chain?.stop()
    }
  })

  async function signed(payer: LocalChain['accounts']['payers'][number]) {
    const { timestamp } = await chain.publicClient.getBlock()
    return (await chain.signTransferAuthorization({
      payer,
      to: chain.accounts.seller.address,
      value: 1000n,
      validAfter: timestamp - 600n,
      validBefore: timestamp + 300n,
    })) as unknown as Payload
  }

  test('default: every malformed payload is 400 invalid_payload from the seller; the facilitator gets no call', async () => {
    const quote = decodeHeader(paymentRequiredV2Schema, (await app.request('/weather')).headers.get('payment-required'))
    const accepted = quote.accepts[0]
    const v1Network = chain.network === 'eip155:8453' ? 'base' : 'base-sepolia'
    const versions = {
      v2: {
        header: 'PAYMENT-SIGNATURE',
        encode: (payload: Json) => encodeHeader({ x402Version: 2, accepted, payload }),
      },
      v1: {
        header: 'X-PAYMENT',
        encode: (payload: Json) => encodeHeader({ x402Version: 1, scheme: 'exact', network: v1Network, payload }),
      },
    } as const
    const valid = { v2: await signed(chain.accounts.payers[0]), v1: await signed(chain.accounts.payers[1]) }

    const wrong: string[] = []
    let sent = 0
    for (const version of ['v2', 'v1'] as const) {
      const { header, encode } = versions[version]
      const good = valid[version]
      for (const mutation of mutations(good)) {
        const value = mutation.header
          ? mutation.header(encode(good as unknown as Json))
          : encode(mutation.payload?.(good) ?? null)
        const res = await app.request('/weather', { headers: { [header]: value } })
        const body = (await res.json().catch(() => undefined)) as { error?: string } | undefined
        sent++
        if (res.status !== 400 || body?.error !== 'invalid_payload') {
          wrong.push(`${version} ${mutation.name}: ${res.status} ${body?.error}`)
        }
      }
    }
    expect(sent).toBe(238) // 2 versions x (113 payload mutations + 6 header mutations)
    expect(wrong).toEqual([])
    expect(calls).toEqual([])

    // The unmutated payments pay: the facilitator was up and the payloads were valid.
    for (const version of ['v2', 'v1'] as const) {
      const { header, encode } = versions[version]
      const res = await app.request('/weather', { headers: { [header]: encode(valid[version] as unknown as Json) } })
      expect(res.status, `${version} valid payment`).toBe(200)
    }
    expect(calls.filter((call) => call === 'POST /verify' || call === 'POST /settle')).toEqual([
      'POST /verify',
      'POST /settle',
      'POST /verify',
      'POST /settle',
    ])
  })

  test('behavior: an offer the facilitator does not serve is its 400, answered as a refusal (4xx), never a 502', async () => {
    const other = chain.network === 'eip155:8453' ? 'eip155:84532' : 'eip155:8453'
    const seller = new Hono()
    seller.use(
      paymentRequired({
        facilitator: httpFacilitator({
          url: facilitator.url,
          ...(facilitator.apiKey ? { apiKey: facilitator.apiKey } : {}),
        }),
        routes: {
          'GET /elsewhere': { accepts: { network: other, price: '$0.001', payTo: chain.accounts.seller.address } },
        },
      }),
    )
    seller.get('/elsewhere', (c) => c.json({ ok: true }))
    const quote = decodeHeader(
      paymentRequiredV2Schema,
      (await seller.request('/elsewhere')).headers.get('payment-required'),
    )
    const payload = await signed(chain.accounts.payers[2])
    const res = await seller.request('/elsewhere', {
      headers: { 'PAYMENT-SIGNATURE': encodeHeader({ x402Version: 2, accepted: quote.accepts[0], payload }) },
    })
    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({ error: 'invalid_network' })
  })
})
