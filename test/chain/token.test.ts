import { assets, type ExactEvmPayload } from '@tollgate/protocol'
import {
  type Address,
  concat,
  encodeFunctionData,
  type Hex,
  hashDomain,
  keccak256,
  type LocalAccount,
  numberToHex,
  parseEventLogs,
  parseSignature,
  serializeErc6492Signature,
  toHex,
  zeroAddress,
  zeroHash,
} from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { smartWallet, smartWalletFactory, testUsdc } from './contracts/artifacts.ts'
import { type LocalChain, payerStartBalance, startLocalChain } from './localChain.ts'

/** secp256k1 group order; a high-s twin of a signature has s' = n - s and the other v. */
const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

const authorizationFields = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
] as const

const eip712DomainFields = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
] as const

let chain: LocalChain

const token = () => ({ address: chain.usdc, abi: testUsdc.abi }) as const

/** The latest block's timestamp: what `eth_call` at `latest` sees as `block.timestamp`. */
async function now(): Promise<bigint> {
  return (await chain.publicClient.getBlock()).timestamp
}

/** Waits for the transaction and asserts it succeeded. */
async function mined(hash: Promise<Hex>) {
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: await hash })
  expect(receipt.status).toBe('success')
  return receipt
}

/** A payment of `value` from `payer` to the seller, valid for an hour. */
async function payment(payer: LocalAccount, value = 1_500_000n, overrides: { from?: Address; to?: Address } = {}) {
  return chain.signTransferAuthorization({
    payer,
    to: chain.accounts.seller.address,
    value,
    validAfter: 0n,
    validBefore: (await now()) + 3600n,
    ...overrides,
  })
}

/** The six authorization arguments of the EIP-3009 functions. */
function authorizationArgs({ authorization: a }: ExactEvmPayload) {
  return [a.from, a.to, BigInt(a.value), BigInt(a.validAfter), BigInt(a.validBefore), a.nonce] as const
}

/** `(v, r, s)` of a 65-byte signature. */
function vrs(signature: Hex) {
  const { r, s, yParity } = parseSignature(signature)
  return [27 + yParity, r, s] as const
}

/** Simulates `transferWithAuthorization` (bytes overload) from the facilitator. */
function simulateTransfer(payload: ExactEvmPayload, signature: Hex = payload.signature) {
  return chain.publicClient.simulateContract({
    ...token(),
    functionName: 'transferWithAuthorization',
    args: [...authorizationArgs(payload), signature],
    account: chain.accounts.facilitator,
  })
}

/** Sends a test-only admin call (blacklist, pause, …) from the last payer and waits for it. */
function admin(functionName: 'pause' | 'unpause'): Promise<unknown>
function admin(functionName: 'blacklist' | 'unBlacklist', account: Address): Promise<unknown>
function admin(functionName: 'pause' | 'unpause' | 'blacklist' | 'unBlacklist', account?: Address) {
  const wallet = chain.walletClient(chain.accounts.payers[7])
  if (functionName === 'pause' || functionName === 'unpause') {
    return mined(wallet.writeContract({ ...token(), functionName }))
  }
  return mined(wallet.writeContract({ ...token(), functionName, args: [account ?? zeroAddress] }))
}

describe('TestUsdc at the Base USDC address (chain 8453)', () => {
  beforeAll(async () => {
    chain = await startLocalChain()
  })
  afterAll(async () => {
    await chain?.stop()
  })

  test('default: FiatToken identity, domain and funded payers, with no storage set up for the token', async () => {
    const read = <const name extends 'name' | 'symbol' | 'version' | 'decimals' | 'DOMAIN_SEPARATOR' | 'paused'>(
      functionName: name,
    ) => chain.publicClient.readContract({ ...token(), functionName })
    expect(chain.usdc).toBe('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913')
    expect(await chain.publicClient.getCode({ address: chain.usdc })).toBe(testUsdc.deployedBytecode)
    expect(await read('name')).toBe('USD Coin')
    expect(await read('symbol')).toBe('USDC')
    expect(await read('version')).toBe('2')
    expect(await read('decimals')).toBe(6)
    expect(await read('paused')).toBe(false)

    const domain = { name: 'USD Coin', version: '2', chainId: 8453n, verifyingContract: chain.usdc } as const
    expect(await read('DOMAIN_SEPARATOR')).toBe(hashDomain({ domain, types: { EIP712Domain: eip712DomainFields } }))
    const typeHash = (type: string) => keccak256(toHex(type))
    const fields =
      '(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)' as const
    for (const [functionName, type] of [
      ['TRANSFER_WITH_AUTHORIZATION_TYPEHASH', `TransferWithAuthorization${fields}`],
      ['RECEIVE_WITH_AUTHORIZATION_TYPEHASH', `ReceiveWithAuthorization${fields}`],
      ['CANCEL_AUTHORIZATION_TYPEHASH', 'CancelAuthorization(address authorizer,bytes32 nonce)'],
    ] as const) {
      expect(await chain.publicClient.readContract({ ...token(), functionName })).toBe(typeHash(type))
    }

    for (const payer of chain.accounts.payers) expect(await chain.balanceOf(payer.address)).toBe(payerStartBalance)
    expect(await chain.balanceOf(chain.accounts.seller.address)).toBe(0n)
    expect(await chain.publicClient.readContract({ ...token(), functionName: 'totalSupply' })).toBe(
      8n * payerStartBalance,
    )
    // FiatTokenV2_1+ blacklists the token's own address.
    expect(
      await chain.publicClient.readContract({ ...token(), functionName: 'isBlacklisted', args: [chain.usdc] }),
    ).toBe(true)
  })

  test('behavior: transferWithAuthorization (v, r, s) moves exactly the authorized value', async () => {
    const [payer] = chain.accounts.payers
    const seller = chain.accounts.seller.address
    const [payerBefore, sellerBefore] = [await chain.balanceOf(payer.address), await chain.balanceOf(seller)]
    const payload = await payment(payer, 1_500_000n)

    const receipt = await mined(
      chain.walletClient(chain.accounts.facilitator).writeContract({
        ...token(),
        functionName: 'transferWithAuthorization',
        args: [...authorizationArgs(payload), ...vrs(payload.signature)],
      }),
    )

    expect(await chain.balanceOf(payer.address)).toBe(payerBefore - 1_500_000n)
    expect(await chain.balanceOf(seller)).toBe(sellerBefore + 1_500_000n)
    expect(
      await chain.publicClient.readContract({
        ...token(),
        functionName: 'authorizationState',
        args: [payer.address, payload.authorization.nonce],
      }),
    ).toBe(true)
    const events = parseEventLogs({ abi: testUsdc.abi, logs: receipt.logs }).map(({ eventName, args }) => ({
      eventName,
      args,
    }))
    expect(events).toEqual([
      { eventName: 'AuthorizationUsed', args: { authorizer: payer.address, nonce: payload.authorization.nonce } },
      { eventName: 'Transfer', args: { from: payer.address, to: seller, value: 1_500_000n } },
    ])
  })

  test('behavior: transferWithAuthorization (bytes signature) moves exactly the authorized value', async () => {
    const [, payer] = chain.accounts.payers
    const seller = chain.accounts.seller.address
    const [payerBefore, sellerBefore] = [await chain.balanceOf(payer.address), await chain.balanceOf(seller)]
    const payload = await payment(payer, 10_000n)

    const { request } = await simulateTransfer(payload)
    await mined(chain.walletClient(chain.accounts.facilitator).writeContract(request))

    expect(await chain.balanceOf(payer.address)).toBe(payerBefore - 10_000n)
    expect(await chain.balanceOf(seller)).toBe(sellerBefore + 10_000n)
  })

  test('behavior: receiveWithAuthorization by the payee, both overloads', async () => {
    const [, , payer] = chain.accounts.payers
    const payee = chain.accounts.seller
    const sign = async (value: bigint) => {
      const message = {
        from: payer.address,
        to: payee.address,
        value,
        validAfter: 0n,
        validBefore: (await now()) + 3600n,
        nonce: generatePrivateKey(),
      }
      const signature = await payer.signTypedData({
        domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: chain.usdc },
        types: { ReceiveWithAuthorization: authorizationFields },
        primaryType: 'ReceiveWithAuthorization',
        message,
      })
      const { from, to, validAfter, validBefore, nonce } = message
      return { args: [from, to, value, validAfter, validBefore, nonce] as const, signature }
    }
    const before = await chain.balanceOf(payee.address)
    const first = await sign(1_000n)
    const second = await sign(2_000n)
    const wallet = chain.walletClient(payee)
    await mined(
      wallet.writeContract({
        ...token(),
        functionName: 'receiveWithAuthorization',
        args: [...first.args, ...vrs(first.signature)],
      }),
    )
    await mined(
      wallet.writeContract({
        ...token(),
        functionName: 'receiveWithAuthorization',
        args: [...second.args, second.signature],
      }),
    )
    expect(await chain.balanceOf(payee.address)).toBe(before + 3_000n)

    // A transferWithAuthorization signature is not a receiveWithAuthorization signature.
    const transfer = await payment(payer, 1_000n)
    await expect(
      chain.publicClient.simulateContract({
        ...token(),
        functionName: 'receiveWithAuthorization',
        args: [...authorizationArgs(transfer), transfer.signature],
        account: payee,
      }),
    ).rejects.toThrowError(/FiatTokenV2: invalid signature/)
  })

  test('behavior: the authorization states live in storage slot 3', async () => {
    const [payer] = chain.accounts.payers
    const payload = await payment(payer, 1n)
    const { request } = await simulateTransfer(payload)
    await mined(chain.walletClient(chain.accounts.facilitator).writeContract(request))
    // _authorizationStates[from][nonce] at keccak256(nonce . keccak256(from . 3))
    const inner = keccak256(concat([toHex(BigInt(payer.address), { size: 32 }), numberToHex(3, { size: 32 })]))
    const slot = keccak256(concat([payload.authorization.nonce, inner]))
    expect(await chain.publicClient.getStorageAt({ address: chain.usdc, slot })).toBe(numberToHex(1, { size: 32 }))
  })

  describe('reverts with FiatToken’s reason', () => {
    test('replay', async () => {
      const payload = await payment(chain.accounts.payers[3], 1_000n)
      const { request } = await simulateTransfer(payload)
      await mined(chain.walletClient(chain.accounts.facilitator).writeContract(request))
      await expect(simulateTransfer(payload)).rejects.toThrowError(/FiatTokenV2: authorization is used or canceled/)
    })

    test('expired', async () => {
      const payload = await chain.signTransferAuthorization({
        payer: chain.accounts.payers[3],
        to: chain.accounts.seller.address,
        value: 1_000n,
        validAfter: 0n,
        validBefore: await now(),
      })
      await expect(simulateTransfer(payload)).rejects.toThrowError(/FiatTokenV2: authorization is expired/)
    })

    test('not yet valid', async () => {
      const start = (await now()) + 3600n
      const payload = await chain.signTransferAuthorization({
        payer: chain.accounts.payers[3],
        to: chain.accounts.seller.address,
        value: 1_000n,
        validAfter: start,
        validBefore: start + 3600n,
      })
      await expect(simulateTransfer(payload)).rejects.toThrowError(/FiatTokenV2: authorization is not yet valid/)
    })

    test('high-s signature (s′ = n − s, v flipped)', async () => {
      const payload = await payment(chain.accounts.payers[3], 1_000n)
      const { r, s, yParity } = parseSignature(payload.signature)
      const highS = concat([r, toHex(curveOrder - BigInt(s), { size: 32 }), toHex(28 - yParity, { size: 1 })])
      await expect(simulateTransfer(payload, highS)).rejects.toThrowError(/ECRecover: invalid signature 's' value/)
      await expect(
        chain.publicClient.simulateContract({
          ...token(),
          functionName: 'transferWithAuthorization',
          args: [...authorizationArgs(payload), 28 - yParity, r, toHex(curveOrder - BigInt(s), { size: 32 })],
          account: chain.accounts.facilitator,
        }),
      ).rejects.toThrowError(/ECRecover: invalid signature 's' value/)
    })

    test('v not 27 or 28', async () => {
      const payload = await payment(chain.accounts.payers[3], 1_000n)
      const { r, s, yParity } = parseSignature(payload.signature)
      for (const v of [yParity, 29]) {
        await expect(simulateTransfer(payload, concat([r, s, toHex(v, { size: 1 })]))).rejects.toThrowError(
          /ECRecover: invalid signature 'v' value/,
        )
      }
    })

    test('malformed signatures: wrong length, unrecoverable', async () => {
      const payload = await payment(chain.accounts.payers[3], 1_000n)
      await expect(simulateTransfer(payload, payload.signature.slice(0, -2) as Hex)).rejects.toThrowError(
        /ECRecover: invalid signature length/,
      )
      const unrecoverable = concat([zeroHash, numberToHex(1, { size: 32 }), toHex(27, { size: 1 })])
      await expect(simulateTransfer(payload, unrecoverable)).rejects.toThrowError(/ECRecover: invalid signature"?$/m)
    })

    test('wrong signer', async () => {
      const [, , , payer, impostor] = chain.accounts.payers
      const payload = await payment(impostor, 1_000n, { from: payer.address })
      await expect(simulateTransfer(payload)).rejects.toThrowError(/FiatTokenV2: invalid signature/)
    })

    test('insufficient balance', async () => {
      const payer = chain.accounts.payers[3]
      const payload = await payment(payer, (await chain.balanceOf(payer.address)) + 1n)
      await expect(simulateTransfer(payload)).rejects.toThrowError(/ERC20: transfer amount exceeds balance/)
    })

    test('blacklisted payer', async () => {
      const payer = chain.accounts.payers[4]
      const payload = await payment(payer, 1_000n)
      await admin('blacklist', payer.address)
      try {
        expect(
          await chain.publicClient.readContract({ ...token(), functionName: 'isBlacklisted', args: [payer.address] }),
        ).toBe(true)
        await expect(simulateTransfer(payload)).rejects.toThrowError(/Blacklistable: account is blacklisted/)
      } finally {
        await admin('unBlacklist', payer.address)
      }
      await simulateTransfer(payload)
    })

    test('blacklisted recipient, including the token itself', async () => {
      const payer = chain.accounts.payers[4]
      const payload = await payment(payer, 1_000n)
      await admin('blacklist', chain.accounts.seller.address)
      try {
        await expect(simulateTransfer(payload)).rejects.toThrowError(/Blacklistable: account is blacklisted/)
      } finally {
        await admin('unBlacklist', chain.accounts.seller.address)
      }
      const toToken = await payment(payer, 1_000n, { to: chain.usdc })
      await expect(simulateTransfer(toToken)).rejects.toThrowError(/Blacklistable: account is blacklisted/)
    })

    test('paused token', async () => {
      const payer = chain.accounts.payers[4]
      const payload = await payment(payer, 1_000n)
      await admin('pause')
      try {
        await expect(simulateTransfer(payload)).rejects.toThrowError(/Pausable: paused/)
        await expect(
          chain.publicClient.simulateContract({
            ...token(),
            functionName: 'transfer',
            args: [chain.accounts.seller.address, 1n],
            account: payer,
          }),
        ).rejects.toThrowError(/Pausable: paused/)
      } finally {
        await admin('unpause')
      }
      await simulateTransfer(payload)
    })

    test('cancelled authorization, both cancelAuthorization overloads', async () => {
      const payer = chain.accounts.payers[5]
      const cancel = (nonce: Hex) => chain.signCancelAuthorization({ payer, nonce })
      const wallet = chain.walletClient(chain.accounts.facilitator)

      const first = await payment(payer, 1_000n)
      const firstCancel = await cancel(first.authorization.nonce)
      const receipt = await mined(
        wallet.writeContract({
          ...token(),
          functionName: 'cancelAuthorization',
          args: [payer.address, first.authorization.nonce, ...vrs(firstCancel)],
        }),
      )
      expect(
        parseEventLogs({ abi: testUsdc.abi, logs: receipt.logs, eventName: 'AuthorizationCanceled' }),
      ).toHaveLength(1)
      await expect(simulateTransfer(first)).rejects.toThrowError(/FiatTokenV2: authorization is used or canceled/)

      const second = await payment(payer, 1_000n)
      const secondCancel = await cancel(second.authorization.nonce)
      await mined(
        wallet.writeContract({
          ...token(),
          functionName: 'cancelAuthorization',
          args: [payer.address, second.authorization.nonce, secondCancel],
        }),
      )
      await expect(simulateTransfer(second)).rejects.toThrowError(/FiatTokenV2: authorization is used or canceled/)
      // Cancelling twice is "used or canceled" too.
      await expect(
        chain.publicClient.simulateContract({
          ...token(),
          functionName: 'cancelAuthorization',
          args: [payer.address, second.authorization.nonce, secondCancel],
          account: chain.accounts.facilitator,
        }),
      ).rejects.toThrowError(/FiatTokenV2: authorization is used or canceled/)
    })

    test('receiveWithAuthorization by anyone but the payee', async () => {
      const payload = await payment(chain.accounts.payers[5], 1_000n)
      await expect(
        chain.publicClient.simulateContract({
          ...token(),
          functionName: 'receiveWithAuthorization',
          args: [...authorizationArgs(payload), payload.signature],
          account: chain.accounts.facilitator,
        }),
      ).rejects.toThrowError(/FiatTokenV2: caller must be the payee/)
    })

    test('ERC-20 paths', async () => {
      const [, , , , , , owner, spender] = chain.accounts.payers
      const simulate = (account: LocalAccount) => ({ ...token(), account })
      await expect(
        chain.publicClient.simulateContract({ ...simulate(owner), functionName: 'transfer', args: [zeroAddress, 1n] }),
      ).rejects.toThrowError(/ERC20: transfer to the zero address/)
      await expect(
        chain.publicClient.simulateContract({
          ...simulate(owner),
          functionName: 'transfer',
          args: [spender.address, payerStartBalance * 2n],
        }),
      ).rejects.toThrowError(/ERC20: transfer amount exceeds balance/)
      await expect(
        chain.publicClient.simulateContract({ ...simulate(owner), functionName: 'mint', args: [zeroAddress, 1n] }),
      ).rejects.toThrowError(/FiatToken: mint to the zero address/)

      await mined(
        chain.walletClient(owner).writeContract({ ...token(), functionName: 'approve', args: [spender.address, 5n] }),
      )
      await expect(
        chain.publicClient.simulateContract({
          ...simulate(spender),
          functionName: 'transferFrom',
          args: [owner.address, spender.address, 6n],
        }),
      ).rejects.toThrowError(/ERC20: transfer amount exceeds allowance/)
      const before = await chain.balanceOf(spender.address)
      await mined(
        chain
          .walletClient(spender)
          .writeContract({ ...token(), functionName: 'transferFrom', args: [owner.address, spender.address, 5n] }),
      )
      expect(await chain.balanceOf(spender.address)).toBe(before + 5n)
      expect(
        await chain.publicClient.readContract({
          ...token(),
          functionName: 'allowance',
          args: [owner.address, spender.address],
        }),
      ).toBe(0n)
    })
  })

  describe('smart wallets', () => {
    test('behavior: an ERC-1271 wallet pays through the bytes overload; a bad signature reverts', async () => {
      const owner = privateKeyToAccount(generatePrivateKey())
      const wallet = await chain.deploySmartWallet({ owner: owner.address })
      await chain.mint({ to: wallet, value: 5_000_000n })
      const seller = chain.accounts.seller.address
      const sellerBefore = await chain.balanceOf(seller)

      const payload = await payment(owner, 2_000_000n, { from: wallet })
      expect(
        await chain.publicClient.verifyTypedData({
          address: wallet,
          domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: chain.usdc },
          types: { TransferWithAuthorization: authorizationFields },
          primaryType: 'TransferWithAuthorization',
          message: {
            ...payload.authorization,
            value: BigInt(payload.authorization.value),
            validAfter: BigInt(payload.authorization.validAfter),
            validBefore: BigInt(payload.authorization.validBefore),
          },
          signature: payload.signature,
        }),
      ).toBe(true)
      const { request } = await simulateTransfer(payload)
      await mined(chain.walletClient(chain.accounts.facilitator).writeContract(request))
      expect(await chain.balanceOf(wallet)).toBe(3_000_000n)
      expect(await chain.balanceOf(seller)).toBe(sellerBefore + 2_000_000n)

      const forged = await payment(chain.accounts.payers[6], 1_000n, { from: wallet })
      await expect(simulateTransfer(forged)).rejects.toThrowError(/FiatTokenV2: invalid signature/)
      // The wallet's ERC-1271 check returns "invalid" (it does not revert) for malformed signatures too.
      await expect(simulateTransfer(forged, '0x1234')).rejects.toThrowError(/FiatTokenV2: invalid signature/)
    })

    test('behavior: the owner moves tokens out with execute(); anyone else gets "not owner"', async () => {
      const owner = chain.accounts.payers[6]
      const wallet = await chain.deploySmartWallet({ owner: owner.address, salt: toHex(1, { size: 32 }) })
      await chain.mint({ to: wallet, value: 7n })
      const data = encodeFunctionData({ abi: testUsdc.abi, functionName: 'transfer', args: [owner.address, 7n] })
      const before = await chain.balanceOf(owner.address)
      await expect(
        chain.publicClient.simulateContract({
          address: wallet,
          abi: smartWallet.abi,
          functionName: 'execute',
          args: [chain.usdc, data],
          account: chain.accounts.facilitator,
        }),
      ).rejects.toThrowError(/not owner/)
      await mined(
        chain
          .walletClient(owner)
          .writeContract({ address: wallet, abi: smartWallet.abi, functionName: 'execute', args: [chain.usdc, data] }),
      )
      expect(await chain.balanceOf(owner.address)).toBe(before + 7n)
      expect(await chain.balanceOf(wallet)).toBe(0n)
      await expect(
        chain.publicClient.simulateContract({
          address: wallet,
          abi: smartWallet.abi,
          functionName: 'execute',
          args: [chain.usdc, data],
          account: owner,
        }),
      ).rejects.toThrowError(/call failed/)
    })

    test('behavior: the factory deploys at the predicted address, idempotently; ERC-6492 signatures verify before deployment', async () => {
      const owner = privateKeyToAccount(generatePrivateKey())
      const salt = toHex(42, { size: 32 })
      const factory = { address: chain.factory, abi: smartWalletFactory.abi } as const
      const predicted = await chain.publicClient.readContract({
        ...factory,
        functionName: 'getAddress',
        args: [owner.address, salt],
      })
      expect(await chain.publicClient.getCode({ address: predicted })).toBeUndefined()

      // Counterfactual: the wallet signs (through its owner) before it exists, wrapped per ERC-6492.
      const payload = await payment(owner, 1_000n, { from: predicted })
      const message = {
        ...payload.authorization,
        value: BigInt(payload.authorization.value),
        validAfter: BigInt(payload.authorization.validAfter),
        validBefore: BigInt(payload.authorization.validBefore),
      }
      const wrapped = serializeErc6492Signature({
        address: chain.factory,
        data: encodeFunctionData({ abi: smartWalletFactory.abi, functionName: 'deploy', args: [owner.address, salt] }),
        signature: payload.signature,
      })
      expect(
        await chain.publicClient.verifyTypedData({
          address: predicted,
          domain: { name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: chain.usdc },
          types: { TransferWithAuthorization: authorizationFields },
          primaryType: 'TransferWithAuthorization',
          message,
          signature: wrapped,
        }),
      ).toBe(true)

      expect(await chain.deploySmartWallet({ owner: owner.address, salt })).toBe(predicted)
      expect(await chain.publicClient.getCode({ address: predicted })).toBe(smartWallet.deployedBytecode)
      expect(
        await chain.publicClient.readContract({ address: predicted, abi: smartWallet.abi, functionName: 'owner' }),
      ).toBe(owner.address)
      expect(await chain.deploySmartWallet({ owner: owner.address, salt })).toBe(predicted)
      const other = await chain.publicClient.readContract({
        ...factory,
        functionName: 'getAddress',
        args: [owner.address, zeroHash],
      })
      expect(other).not.toBe(predicted)
    })
  })
})

describe('TestUsdc at the Base Sepolia USDC address (chain 84532)', () => {
  beforeAll(async () => {
    chain = await startLocalChain({ chainId: 84532 })
  })
  afterAll(async () => {
    await chain?.stop()
  })

  test('default: name "USDC" and the matching domain; payments settle', async () => {
    expect(chain.usdc).toBe(assets['eip155:84532'].address)
    expect(chain.network).toBe('eip155:84532')
    expect(await chain.publicClient.getChainId()).toBe(84532)
    expect(await chain.publicClient.readContract({ ...token(), functionName: 'name' })).toBe('USDC')
    const domain = { name: 'USDC', version: '2', chainId: 84532n, verifyingContract: chain.usdc } as const
    expect(await chain.publicClient.readContract({ ...token(), functionName: 'DOMAIN_SEPARATOR' })).toBe(
      hashDomain({ domain, types: { EIP712Domain: eip712DomainFields } }),
    )

    const [payer] = chain.accounts.payers
    const payload = await payment(payer, 250_000n)
    const { request } = await simulateTransfer(payload)
    await mined(chain.walletClient(chain.accounts.facilitator).writeContract(request))
    expect(await chain.balanceOf(chain.accounts.seller.address)).toBe(250_000n)
  })
})
