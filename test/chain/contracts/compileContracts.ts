import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Abi, Hex } from 'viem'

/** The contracts in this folder, by name; each lives in `<name>.sol`. */
export const contractNames = [
  'TestUsdc',
  'SmartWallet',
  'SmartWalletFactory',
  'Multicall3',
  'TrickWallet',
  'SanctionsOracle',
] as const

/** A contract name. */
export type ContractName = (typeof contractNames)[number]

/** What one contract compiles to; bytecodes are 0x-prefixed. */
export type ContractArtifact = { abi: Abi; bytecode: Hex; deployedBytecode: Hex }

/** The whole committed artifact file (`artifacts.json`). */
export type CompiledContracts = {
  compiler: { name: 'solc'; version: string }
  settings: typeof settings
  contracts: Record<ContractName, ContractArtifact>
}

/** solc settings (chain.md §1.6 step 7): optimizer 200 runs, `cancun` pinned (0.8.37 defaults to `osaka`). */
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
} as const

type Solc = { version(): string; compile(input: string): string }
type SolcOutput = {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[]
  contracts?: Record<
    string,
    Record<string, { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >
}

/**
 * Compiles the Solidity sources beside this file with the npm `solc` (standard JSON) and returns the artifact
 * `build.ts` commits. Build-time only: loading and running solc-js takes 1–3 s.
 *
 * @example
 * import { compileContracts } from './compileContracts.ts'
 * const { contracts } = compileContracts()
 * @see chain.md §1.6 step 7
 */
export function compileContracts(): CompiledContracts {
  const solc = createRequire(import.meta.url)('solc') as Solc
  const sources = Object.fromEntries(
    contractNames.map((name) => [
      `${name}.sol`,
      { content: readFileSync(new URL(`./${name}.sol`, import.meta.url), 'utf8') },
    ]),
  )
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      ...settings,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const problems = (output.errors ?? []).filter((error) => error.severity !== 'info')
  if (problems.length > 0) {
    throw new Error(`solc reported problems:\n${problems.map((error) => error.formattedMessage).join('\n')}`)
  }
  const contracts = {} as Record<ContractName, ContractArtifact>
  for (const name of contractNames) {
    const compiled = output.contracts?.[`${name}.sol`]?.[name]
    if (!compiled) throw new Error(`solc produced no output for ${name}`)
    contracts[name] = {
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
      deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    }
  }
  return { compiler: { name: 'solc', version: solc.version() }, settings, contracts }
}
