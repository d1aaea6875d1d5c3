import { transferWithAuthorizationTypes } from '@tollgate/evm'
import { assets, type ExactEvmPayload } from '@tollgate/protocol'
import {
  type Account,
  type Address,
  type Chain,
  createPublicClient,
  createTestClient,
  createWalletClient,
  encodeAbiParameters,
  type Hex,
  type HttpTransport,
  http,
  keccak256,
  type LocalAccount,
  type ParseAccount,
  type PublicClient,
  type TestClient,
  toHex,
  type WalletClient,
  zeroHash,
} from 'viem'
import { base, baseSepolia } from 'viem/chains'
import { devAccounts } from './accounts.ts'
import { type AnvilMining, startAnvil } from './anvil.ts'
import { smartWalletFactory, testUsdc } from './contracts/artifacts.ts'
import { placeMulticall3 } from './multicall3.ts'
import { chainalysisOracleAddress, placeSanctionsOracle } from './sanctionsOracle.ts'

/** The chains the local chain can impersonate: Base (8453) and Base Sepolia (84532). */
export type LocalChainId = 8453 | 84532

/** Options of {@link startLocalChain}. */
export type StartLocalChainParameters = {
  /** Port on 127.0.0.1. Default: a free port. */
  port?: number
  /** Default: `8453`. */
  chainId?: LocalChainId
  /** Seconds between anvil's interval blocks; fractions work (`0.2`). Default: `1`. */
  blockTime?: number
  /** Default: `mixed` (every transaction mined at once, plus a block every `blockTime`); `interval`: blocks only. */
  mining?: AnvilMining
  /** Extra anvil flags, e.g. `['--gas-limit', '300000000']` for benchmarks. */
  args?: readonly string[]
  /** Addresses the sanctions oracle lists (Base only: no oracle is known on Base Sepolia). Default: none. */
  sanctioned?: readonly Address[]
  /**
   * Hold the base fee at this many wei (`--base-fee`, then `anvil_setNextBlockBaseFeePerGas` all the
   * time; {@link LocalChain.setBaseFee} moves it). Default {@link baseFeeFloor}, Base's; `'anvil'`:
   * anvil's own (1 gwei, falling when idle), for a test about anvil itself.
   */
  baseFee?: bigint | 'anvil'
  /**
   * Place a stand-in OP-stack `GasPriceOracle` at its predeploy address that answers this L1 data fee
   * (wei) to every call. Default {@link localL1Fee}, about Base's; `'none'`: no oracle (no L1 fee).
   */
  l1Fee?: bigint | 'none'
}

/** Base's minimum base fee (since Jovian): 0.005 gwei. */
export const baseFeeFloor = 5_000_000n

/** The L1 data fee the stand-in `GasPriceOracle` answers for 1,000 bytes by default: 1 gwei of ETH, about Base's. */
export const localL1Fee = 1_000_000_000n

/** The fees {@link startLocalChain} runs at by default, Base's: the base fee at the floor and an L1 data fee. */
export const baseLikeFees = { baseFee: baseFeeFloor, l1Fee: localL1Fee } as const

const gasPriceOracle: Address = '0x420000000000000000000000000000000000000F'

/** Runtime code that returns `fee` as one word to any call: PUSH32 fee, MSTORE at 0, RETURN 32 bytes. */
const constantAnswer = (fee: bigint): Hex => `0x7f${fee.toString(16).padStart(64, '0')}60005260206000f3`

/** Input of {@link LocalChain.signTransferAuthorization}. */
export type SignTransferAuthorizationParameters = {
  /** The key that signs: the payer, or the owner of the smart wallet named in `from`. */
  payer: LocalAccount
  /** The authorizer. Default: `payer.address`. */
  from?: Address
  to: Address
  /** Atomic units (6 decimals). */
  value: bigint
  /** Seconds since epoch; the token requires `block.timestamp > validAfter`. */
  validAfter: bigint
  /** Seconds since epoch; the token requires `block.timestamp < validBefore`. */
  validBefore: bigint
  /** Default: 32 random bytes. */
  nonce?: Hex
}

/** Input of {@link LocalChain.deploySmartWallet}. */
export type DeploySmartWalletParameters = {
  owner: Address
  /** Default: `zeroHash`. */
  salt?: Hex
  /** Who sends the factory call. Default: the last payer (`devAccounts.payers[7]`). */
  sender?: Account
}

/** A running local chain: clients, accounts, contract addresses and test helpers. */
export type LocalChain = {
  url: string
  port: number
  chainId: LocalChainId
  network: `eip155:${LocalChainId}`
  /** viem's `base` / `baseSepolia` with the RPC URL replaced by `url`. */
  chain: Chain
  /** `pollingInterval: 50, cacheTime: 0` (chain.md pitfall 8). */
  publicClient: PublicClient<HttpTransport, Chain>
  testClient: TestClient<'anvil', HttpTransport, Chain>
  /** A wallet client for `account` on this chain (`pollingInterval: 50, cacheTime: 0`). */
  walletClient<account extends Account>(account: account): WalletClient<HttpTransport, Chain, ParseAccount<account>>
  accounts: typeof devAccounts
  /** TestUsdc at the real USDC address of `chainId`. */
  usdc: Address
  /** SmartWalletFactory (ERC-6492 style) at a fixed address. */
  factory: Address
  /** Our `SanctionsOracle` at the Chainalysis address on Base (chain id 8453); none on Base Sepolia. */
  oracle: Address | undefined
  /** USDC balance, atomic units. */
  balanceOf(address: Address): Promise<bigint>
  /** Adds USDC to `to` (and to `totalSupply`) by writing the token's storage: no transaction, no nonce used. */
  mint(parameters: { to: Address; value: bigint }): Promise<void>
  /** An EIP-3009 `TransferWithAuthorization` signed for this chain's USDC domain, as x402's `exact` payload. */
  signTransferAuthorization(parameters: SignTransferAuthorizationParameters): Promise<ExactEvmPayload>
  /** Deploys (or finds) the SmartWallet of `owner` and `salt` through the factory and returns its address. */
  deploySmartWallet(parameters: DeploySmartWalletParameters): Promise<Address>
  /** An EIP-3009 `CancelAuthorization` of `nonce`, signed by the payer for this chain's USDC domain. */
  signCancelAuthorization(parameters: { payer: LocalAccount; nonce: Hex }): Promise<Hex>
  /** The payer cancels an authorization nonce on chain (`cancelAuthorization`, bytes overload, sent by the payer); waits for it. */
  cancelAuthorization(parameters: { payer: LocalAccount; nonce: Hex }): Promise<void>
  /**
   * Holds the base fee at `wei` from the next block on (a base fee that jumps, for stuck
   * transactions); with `baseFee: 'anvil'` it sets the next block's only.
   */
  setBaseFee(wei: bigint): Promise<void>
  /** Stops anvil. */
  stop(): Promise<void>
}

/** Where the SmartWalletFactory's runtime code is placed; fixed so an ERC-6492 factory allowlist can name it. */
export const smartWalletFactoryAddress: Address = '0x0000000000000000000000000000000000006492'

/** What each payer (dev accounts #2–#9) holds at start: 1,000 USDC. */
export const payerStartBalance = 1_000_000_000n

const balanceOfSlot = 0n
const totalSupplySlot = 2n

/**
 * Starts anvil and turns it into a local Base (or Base Sepolia): TestUsdc's runtime code at the real USDC address,
 * the smart wallet factory at {@link smartWalletFactoryAddress}, Multicall3 at its canonical address, on Base our sanctions
 * oracle at the Chainalysis address (listing `sanctioned`, none by default, so the facilitator's default screening passes
 * honest payers), one block mined (so `latest` has a current timestamp),
 * and 1,000 USDC for each payer, written to storage (no transactions: every dev account starts at nonce 0).
 * Defaults: a free port, chain id 8453, 1 s block time with mixed mining, and Base's fees: the base fee held
 * at Base's floor and an L1 data fee, so a facilitator's default gas policy judges what it would on Base.
 *
 * @example
 * import { startLocalChain } from './localChain.ts'
 * const chain = await startLocalChain()
 * const [payer] = chain.accounts.payers
 * await chain.balanceOf(payer.address) // 1_000_000_000n
 * await chain.stop()
 * @see chain.md §1.6 and §2.1
 */
export async function startLocalChain(parameters: StartLocalChainParameters = {}): Promise<LocalChain> {
  const {
    port,
    chainId = 8453,
    blockTime = 1,
    mining = 'mixed',
    args = [],
    sanctioned = [],
    baseFee = baseFeeFloor,
    l1Fee = localL1Fee,
  } = parameters
  const network = `eip155:${chainId}` as const
  const usdc = assets[network].address
  const anvil = await startAnvil({
    chainId,
    blockTime,
    mining,
    args: baseFee === 'anvil' ? args : ['--base-fee', String(baseFee), ...args],
    ...(port === undefined ? {} : { port }),
  })
  let holder: ReturnType<typeof setInterval> | undefined
  try {
    const chain: Chain = { ...(chainId === 8453 ? base : baseSepolia), rpcUrls: { default: { http: [anvil.url] } } }
    const clientOptions = { chain, pollingInterval: 50, cacheTime: 0 } as const
    const publicClient: PublicClient<HttpTransport, Chain> = createPublicClient({
      ...clientOptions,
      transport: http(anvil.url),
    })
    const testClient = createTestClient({ ...clientOptions, mode: 'anvil', transport: http(anvil.url) })

    const balanceOf = (address: Address) =>
      publicClient.readContract({ address: usdc, abi: testUsdc.abi, functionName: 'balanceOf', args: [address] })

    const mint = async ({ to, value }: { to: Address; value: bigint }) => {
      const [balance, supply] = await Promise.all([
        balanceOf(to),
        publicClient.readContract({ address: usdc, abi: testUsdc.abi, functionName: 'totalSupply' }),
      ])
      await testClient.setStorageAt({
        address: usdc,
        index: mappingSlot(to, balanceOfSlot),
        value: word(balance + value),
      })
      await testClient.setStorageAt({ address: usdc, index: word(totalSupplySlot), value: word(supply + value) })
    }

    await Promise.all([
      testClient.setCode({ address: usdc, bytecode: testUsdc.deployedBytecode }),
      testClient.setCode({ address: smartWalletFactoryAddress, bytecode: smartWalletFactory.deployedBytecode }),
      placeMulticall3({ testClient }),
      ...(chainId === 8453 ? [placeSanctionsOracle({ testClient, sanctioned })] : []),
      ...(l1Fee === 'none' ? [] : [testClient.setCode({ address: gasPriceOracle, bytecode: constantAnswer(l1Fee) })]),
    ])
    await Promise.all([
      ...devAccounts.payers.map(({ address }) =>
        testClient.setStorageAt({
          address: usdc,
          index: mappingSlot(address, balanceOfSlot),
          value: word(payerStartBalance),
        }),
      ),
      testClient.setStorageAt({
        address: usdc,
        index: word(totalSupplySlot),
        value: word(payerStartBalance * BigInt(devAccounts.payers.length)),
      }),
    ])
    let held = baseFee === 'anvil' ? undefined : baseFee
    // Set by setBaseFee: the next block takes this fee exactly (a test's own jump).
    let exact: bigint | undefined = held
    // Empty blocks lower it (EIP-1559), and blocks mined within one tick of this holder (automine bursts,
    // mining by hand) do not take it: set the next block's base fee again, all the time, but climbing
    // back at most 12.5 % a block as a real chain does, never past the 2x headroom of a fee read from
    // the latest block (a jump from 1.96 to 5 thousandths of a gwei refused settlements).
    const hold = async () => {
      if (held === undefined) return
      try {
        const latest = (await publicClient.getBlock({ blockTag: 'latest' })).baseFeePerGas ?? held
        if (exact !== undefined && latest === exact) exact = undefined
        const climb = (latest * 9n) / 8n
        const next = exact ?? (climb < held ? climb : held)
        await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: next })
      } catch {
        // The chain is stopping, or busy: the next tick tries again.
      }
    }
    if (held !== undefined) {
      await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: held })
      holder = setInterval(() => void hold(), 50)
    }
    const setBaseFee = async (wei: bigint) => {
      if (held !== undefined) held = exact = wei
      await testClient.setNextBlockBaseFeePerGas({ baseFeePerGas: wei })
    }
    await testClient.mine({ blocks: 1 })

    const walletClient = <account extends Account>(account: account) =>
      createWalletClient({ ...clientOptions, account, transport: http(anvil.url) })

    const signTransferAuthorization = async ({
      payer,
      from = payer.address,
      to,
      value,
      validAfter,
      validBefore,
      nonce = toHex(crypto.getRandomValues(new Uint8Array(32))),
    }: SignTransferAuthorizationParameters): Promise<ExactEvmPayload> => {
      const { name, version } = assets[network]
      const signature = await payer.signTypedData({
        domain: { name, version, chainId, verifyingContract: usdc },
        types: transferWithAuthorizationTypes,
        primaryType: 'TransferWithAuthorization',
        message: { from, to, value, validAfter, validBefore, nonce },
      })
      return {
        authorization: {
          from,
          to,
          value: value.toString(),
          validAfter: validAfter.toString(),
          validBefore: validBefore.toString(),
          nonce,
        },
        signature,
      }
    }

    const deploySmartWallet = async ({
      owner,
      salt = zeroHash,
      sender = devAccounts.payers[7],
    }: DeploySmartWalletParameters) => {
      const call = { address: smartWalletFactoryAddress, abi: smartWalletFactory.abi, args: [owner, salt] } as const
      const hash = await walletClient(sender).writeContract({ ...call, functionName: 'deploy' })
      const receipt = await publicClient.waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success') throw new Error(`SmartWalletFactory.deploy reverted (${hash})`)
      return publicClient.readContract({ ...call, functionName: 'getAddress' })
    }

    const signCancelAuthorization = ({ payer, nonce }: { payer: LocalAccount; nonce: Hex }) => {
      const { name, version } = assets[network]
      return payer.signTypedData({
        domain: { name, version, chainId, verifyingContract: usdc },
        types: {
          CancelAuthorization: [
            { name: 'authorizer', type: 'address' },
            { name: 'nonce', type: 'bytes32' },
          ],
        },
        primaryType: 'CancelAuthorization',
        message: { authorizer: payer.address, nonce },
      })
    }

    const cancelAuthorization = async ({ payer, nonce }: { payer: LocalAccount; nonce: Hex }) => {
      const signature = await signCancelAuthorization({ payer, nonce })
      const hash = await walletClient(payer).writeContract({
        address: usdc,
        abi: testUsdc.abi,
        functionName: 'cancelAuthorization',
        args: [payer.address, nonce, signature],
      })
      const receipt = await publicClient.waitForTransactionReceipt({ hash })
      if (receipt.status !== 'success') throw new Error(`cancelAuthorization reverted (${hash})`)
    }

    return {
      url: anvil.url,
      port: anvil.port,
      chainId,
      network,
      chain,
      publicClient,
      testClient,
      walletClient,
      accounts: devAccounts,
      usdc,
      factory: smartWalletFactoryAddress,
      oracle: chainId === 8453 ? chainalysisOracleAddress : undefined,
      balanceOf,
      mint,
      signTransferAuthorization,
      deploySmartWallet,
      signCancelAuthorization,
      cancelAuthorization,
      setBaseFee,
      stop: () => {
        clearInterval(holder)
        return anvil.stop()
      },
    }
  } catch (error) {
    clearInterval(holder)
    await anvil.stop()
    throw error
  }
}

/** The 32-byte hex form of a uint256, as storage values and indices are written. */
function word(value: bigint): Hex {
  return toHex(value, { size: 32 })
}

/** Storage index of `mapping(address => …)` entry `key` declared at `slot`: keccak256(abi.encode(key, slot)). */
function mappingSlot(key: Address, slot: bigint): Hex {
  return keccak256(encodeAbiParameters([{ type: 'address' }, { type: 'uint256' }], [key, slot]))
}
