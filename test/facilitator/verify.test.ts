/**
 * /verify against a local anvil: every failure has its own code, in the reference order; valid
 * payments of every signature kind pass; malformed requests are 400 with a code.
 */
import type { ExactEvmPayload } from '@tollgate/protocol'
import { toHex } from 'viem'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { smartWalletFactory, testUsdc } from '../chain/contracts/artifacts.ts'
import { type Fixture, startFixture } from './fixture.ts'
import { toHighS, toYParityV, wrap6492 } from './signatures.ts'

let f: Fixture
beforeAll(async () => {
  f = await startFixture()
})
afterAll(() => f?.stop())

const salt = (n: number) => toHex(n, { size: 32 })

async function verify(payload: ExactEvmPayload, requirements?: Record<string, unknown>) {
  const { status, json } = await f.post('/verify', f.bodyV2(payload, requirements))
  expect(status).toBe(200)
  return json
}

const codeOf = async (payload: ExactEvmPayload, requirements?: Record<string, unknown>) =>
  (await verify(payload, requirements)).invalidReason

describe('valid payments', () => {
  test('default: an EOA payment (v2, validAfter 0) is valid and reserved', async () => {
    const payer = f.chain.accounts.payers[0]
    const payload = await f.sign(payer)
    expect(await verify(payload)).toEqual({ isValid: true, payer: payer.address })
    const [entry] = await f.facilitator.store.list({ states: ['reserved'] })
    expect(entry?.payer).toBe(payer.address)
  })

  test('behavior: a v1 payment (validAfter now - 600, network "base") is valid', async () => {
    const payer = f.chain.accounts.payers[1]
    const payload = await f.sign(payer, { validAfter: f.now() - 600n, validBefore: f.now() + 60n })
    const { status, json } = await f.post('/verify', f.bodyV1(payload))
    expect(status).toBe(200)
    expect(json).toEqual({ isValid: true, payer: payer.address })
  })

  test('behavior: verifying the same payment twice: the second is authorization_in_use while the first holds it', async () => {
    const payload = await f.sign(f.chain.accounts.payers[2])
    expect((await verify(payload)).isValid).toBe(true)
    expect(await verify(payload)).toMatchObject({ isValid: false, invalidReason: 'authorization_in_use' })
  })

  test('behavior: an ERC-1271 wallet payment is valid', async () => {
    const owner = f.chain.accounts.payers[3]
    const wallet = await f.chain.deploySmartWallet({ owner: owner.address, salt: salt(1271) })
    await f.chain.mint({ to: wallet, value: 1_000_000n })
    const payload = await f.sign(owner, { from: wallet })
    expect(await verify(payload)).toEqual({ isValid: true, payer: wallet })
  })

  test('behavior: an undeployed ERC-6492 wallet through an allowed factory is valid', async () => {
    const owner = f.chain.accounts.payers[4]
    const wallet = await f.chain.publicClient.readContract({
      address: f.chain.factory,
      abi: smartWalletFactory.abi,
      functionName: 'getAddress',
      args: [owner.address, salt(6492)],
    })
    await f.chain.mint({ to: wallet, value: 1_000_000n })
    const payload = await f.sign(owner, { from: wallet })
    const wrapped = { ...payload, signature: wrap6492(f.chain.factory, owner, salt(6492), payload.signature) }
    expect(await verify(wrapped)).toEqual({ isValid: true, payer: wallet })
    expect(await f.chain.publicClient.getCode({ address: wallet })).toBeUndefined()
  })
})

describe('invalid payments, one code each', () => {
  test('expired', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { validBefore: f.now() - 1n })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_authorization_valid_before')
  })

  test('expires within the safety margin', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { validBefore: f.now() + 3n })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_authorization_valid_before')
  })

  test('not yet valid', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { validAfter: f.now() + 60n })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_authorization_valid_after')
  })

  test('wrong amount (v2 and v1 codes)', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { value: 9_999n })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_authorization_value_mismatch')
    const over = await f.sign(f.chain.accounts.payers[0], { value: 10_001n })
    expect(await codeOf(over)).toBe('invalid_exact_evm_payload_authorization_value_mismatch')
    const v1 = await f.post('/verify', f.bodyV1(payload))
    expect(v1.json.invalidReason).toBe('invalid_exact_evm_payload_authorization_value')
  })

  test('wrong recipient', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { to: f.chain.accounts.payers[5].address })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_recipient_mismatch')
  })

  test('wrong domain name in the requirements', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    const requirements = f.requirementsV2({ extra: { name: 'USDC', version: '2' } })
    expect(await codeOf(payload, requirements)).toBe('invalid_exact_evm_token_name_mismatch')
    const version = f.requirementsV2({ extra: { name: 'USD Coin', version: '1' } })
    expect(await codeOf(payload, version)).toBe('invalid_exact_evm_token_version_mismatch')
    expect(await codeOf(payload, f.requirementsV2({ extra: {} }))).toBe('invalid_exact_evm_missing_eip712_domain')
  })

  test('signed over the wrong domain name', async () => {
    const payer = f.chain.accounts.payers[0]
    const message = {
      from: payer.address,
      to: f.payTo,
      value: 10_000n,
      validAfter: 0n,
      validBefore: f.now() + 300n,
      nonce: salt(77),
    }
    const signature = await payer.signTypedData({
      domain: { name: 'USDC', version: '2', chainId: 8453, verifyingContract: f.usdc },
      types: { TransferWithAuthorization: testUsdcTypes },
      primaryType: 'TransferWithAuthorization',
      message,
    })
    const payload = {
      signature,
      authorization: { ...message, value: '10000', validAfter: '0', validBefore: message.validBefore.toString() },
    }
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_signature')
  })

  test('high-s', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    expect(await codeOf({ ...payload, signature: toHighS(payload.signature) })).toBe(
      'invalid_exact_evm_payload_signature_high_s',
    )
  })

  test('v outside 27/28', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    expect(await codeOf({ ...payload, signature: toYParityV(payload.signature) })).toBe(
      'invalid_exact_evm_payload_signature_v',
    )
  })

  test('bad signer', async () => {
    const payload = await f.sign(f.chain.accounts.payers[1], { from: f.chain.accounts.payers[0].address })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_signature')
  })

  test('insufficient balance', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0], { value: 2_000_000_000n })
    expect(await codeOf(payload, f.requirementsV2({ amount: '2000000000' }))).toBe('insufficient_funds')
  })

  test('cancelled authorization', async () => {
    const payer = f.chain.accounts.payers[6]
    const payload = await f.sign(payer)
    await f.chain.cancelAuthorization({ payer, nonce: payload.authorization.nonce })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_nonce_already_used')
  })

  test('paused token', async () => {
    const admin = f.chain.walletClient(f.chain.accounts.payers[7])
    const payload = await f.sign(f.chain.accounts.payers[0])
    await f.chain.publicClient.waitForTransactionReceipt({
      hash: await admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'pause' }),
    })
    try {
      expect(await codeOf(payload)).toBe('asset_paused')
    } finally {
      await f.chain.publicClient.waitForTransactionReceipt({
        hash: await admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'unpause' }),
      })
    }
    expect(await codeOf(payload)).toBeUndefined()
  })

  test('blacklisted payee', async () => {
    const admin = f.chain.walletClient(f.chain.accounts.payers[7])
    const payee = f.chain.accounts.payers[5].address
    const payload = await f.sign(f.chain.accounts.payers[0], { to: payee })
    await f.chain.publicClient.waitForTransactionReceipt({
      hash: await admin.writeContract({ address: f.usdc, abi: testUsdc.abi, functionName: 'blacklist', args: [payee] }),
    })
    try {
      expect(await codeOf(payload, f.requirementsV2({ payTo: payee }))).toBe(
        'invalid_exact_evm_payload_authorization_to_address_kyt',
      )
    } finally {
      await f.chain.publicClient.waitForTransactionReceipt({
        hash: await admin.writeContract({
          address: f.usdc,
          abi: testUsdc.abi,
          functionName: 'unBlacklist',
          args: [payee],
        }),
      })
    }
  })

  test('ERC-1271 wallet, signed by someone other than its owner', async () => {
    const owner = f.chain.accounts.payers[3]
    const wallet = await f.chain.deploySmartWallet({ owner: owner.address, salt: salt(1272) })
    await f.chain.mint({ to: wallet, value: 1_000_000n })
    const payload = await f.sign(f.chain.accounts.payers[2], { from: wallet })
    expect(await codeOf(payload)).toBe('invalid_exact_evm_payload_signature')
  })

  test('ERC-6492 wallet through an unknown factory', async () => {
    const owner = f.chain.accounts.payers[4]
    const payload = await f.sign(owner, { from: '0x1111111111111111111111111111111111111111' })
    const unknown = '0x000000000000000000000000000000000000dEaD'
    const wrapped = { ...payload, signature: wrap6492(unknown, owner, salt(1), payload.signature) }
    expect(await codeOf(wrapped)).toBe('eip6492_factory_not_allowed')
  })

  test('ERC-6492 wallet through the allowed factory, signed by the wrong key', async () => {
    const owner = f.chain.accounts.payers[4]
    const wallet = await f.chain.publicClient.readContract({
      address: f.chain.factory,
      abi: smartWalletFactory.abi,
      functionName: 'getAddress',
      args: [owner.address, salt(6493)],
    })
    await f.chain.mint({ to: wallet, value: 1_000_000n })
    const payload = await f.sign(f.chain.accounts.payers[0], { from: wallet })
    const wrapped = { ...payload, signature: wrap6492(f.chain.factory, owner, salt(6493), payload.signature) }
    expect(await codeOf(wrapped)).toBe('invalid_exact_evm_payload_signature')
  })

  test('unsupported asset', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    expect(await codeOf(payload, f.requirementsV2({ asset: f.chain.accounts.seller.address }))).toBe(
      'unsupported_asset',
    )
  })

  test('payload and requirements on different networks', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    const body = f.bodyV2(payload) as { paymentPayload: { accepted: Record<string, unknown> } }
    body.paymentPayload.accepted = { ...body.paymentPayload.accepted, network: 'eip155:84532' }
    expect((await f.post('/verify', body)).json.invalidReason).toBe('invalid_exact_evm_network_mismatch')
  })
})

describe('malformed requests are 400 with a code', () => {
  const raw = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const response = await f.app.request('/verify', { method: 'POST', headers, body })
    return { status: response.status, json: (await response.json()) as Record<string, unknown> }
  }

  test('malformed JSON', async () => {
    expect(await raw('{"x402Version": 2,')).toMatchInlineSnapshot(`
      {
        "json": {
          "error": "invalid_request",
          "message": "The body is not valid JSON.",
        },
        "status": 400,
      }
    `)
  })

  test('wrong types', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    const body = f.bodyV2(payload, f.requirementsV2({ amount: 10000 }))
    const { status, json } = await raw(JSON.stringify(body))
    expect(status).toBe(400)
    expect(json.error).toBe('invalid_request')
    const badPayload = f.bodyV2({ ...payload, authorization: { ...payload.authorization, value: 10000 } } as never)
    expect((await raw(JSON.stringify(badPayload))).json.error).toBe('invalid_payload')
    expect((await raw('[]')).json.error).toBe('invalid_request')
    expect((await raw('')).json.error).toBe('invalid_request')
  })

  test('unknown network and scheme', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    for (const network of ['eip155:1', 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp']) {
      const requirements = f.requirementsV2({ network })
      expect(await raw(JSON.stringify(f.bodyV2(payload, requirements)))).toMatchObject({
        status: 400,
        json: { error: 'invalid_network' },
      })
    }
    const v1 = f.bodyV1(payload, f.requirementsV1({ network: 'polygon' }))
    expect(await raw(JSON.stringify(v1))).toMatchObject({ status: 400, json: { error: 'invalid_network' } })
    const upto = f.requirementsV2({ scheme: 'upto' })
    expect(await raw(JSON.stringify(f.bodyV2(payload, upto)))).toMatchObject({
      status: 400,
      json: { error: 'unsupported_scheme' },
    })
  })

  test('unknown version', async () => {
    const payload = await f.sign(f.chain.accounts.payers[0])
    const body = { ...f.bodyV2(payload), x402Version: 3 }
    expect(await raw(JSON.stringify(body))).toMatchObject({ status: 400, json: { error: 'invalid_x402_version' } })
  })

  test('oversized body', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(70_000) })
    expect(await raw(body)).toMatchObject({ status: 400, json: { error: 'payload_too_large' } })
  })
})

const testUsdcTypes = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
] as const
