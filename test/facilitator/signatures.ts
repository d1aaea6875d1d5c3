/** Signature manipulations for negative tests (test-only). */
import { type Address, encodeFunctionData, type Hex, type LocalAccount, serializeErc6492Signature } from 'viem'
import { smartWalletFactory } from '../chain/contracts/artifacts.ts'

const curveOrder = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

/** The high-s twin of a low-s signature: s' = n - s, v flipped. Recovers the same signer. */
export function toHighS(signature: Hex): Hex {
  const r = signature.slice(2, 66)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  return `0x${r}${(curveOrder - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
}

/** The same signature with `v` as a recovery bit (0/1) instead of 27/28. */
export function toYParityV(signature: Hex): Hex {
  const v = Number.parseInt(signature.slice(130, 132), 16)
  return `${signature.slice(0, 130)}0${v - 27}` as Hex
}

/** An ERC-6492 wrapper: deploy the SmartWallet of `owner`/`salt` through `factory`, then check `signature`. */
export function wrap6492(factory: Address, owner: LocalAccount, salt: Hex, signature: Hex): Hex {
  return serializeErc6492Signature({
    address: factory,
    data: encodeFunctionData({ abi: smartWalletFactory.abi, functionName: 'deploy', args: [owner.address, salt] }),
    signature,
  })
}
