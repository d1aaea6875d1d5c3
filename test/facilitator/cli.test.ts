/** The tollgate-facilitator CLI as a real process. */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const run = promisify(execFile)
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-cli-'))
const children = new Set<ChildProcess>()
let chain: LocalChain

beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await chain?.stop()
  rmSync(dataDir, { recursive: true, force: true })
})

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_'))) as NodeJS.ProcessEnv

describe('tollgate-facilitator', () => {
  test('default: --help lists the configuration and exits 0', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help'])
    expect(stdout).toContain('Usage: tollgate-facilitator')
    for (const name of [
      'TOLLGATE_SIGNER_KEY',
      'TOLLGATE_NETWORKS',
      'TOLLGATE_RPC_URL_<chainId>',
      'TOLLGATE_PORT',
      'TOLLGATE_DATA_DIR',
    ]) {
      expect(stdout).toContain(name)
    }
  })

  test('behavior: a bad configuration exits 1 naming the variable, without the key', async () => {
    const error = await run(process.execPath, [bin], {
      env: { ...cleanEnv(), TOLLGATE_SIGNER_KEY: '0xsecret', TOLLGATE_RPC_URL_8453: chain.url },
    }).catch((e: { code: number; stderr: string }) => e)
    expect(error).toMatchObject({ code: 1 })
    expect((error as { stderr: string }).stderr).toContain('TOLLGATE_SIGNER_KEY')
    expect((error as { stderr: string }).stderr).not.toContain('0xsecret')
  })

  test('behavior: --config reads NAME=value lines; the environment wins; a bad line is named, not echoed', async () => {
    const file = join(dataDir, 'facilitator.env')
    writeFileSync(file, `# comment\nTOLLGATE_SIGNER_KEY="0xsecret"\nTOLLGATE_RPC_URL_8453=${chain.url}\n`)
    const fromFile = await run(process.execPath, [bin, '--config', file], { env: cleanEnv() }).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect(fromFile).toMatchObject({ code: 1 })
    expect((fromFile as { stderr: string }).stderr).toContain('TOLLGATE_SIGNER_KEY')
    expect((fromFile as { stderr: string }).stderr).not.toContain('TOLLGATE_RPC_URL_8453')
    expect((fromFile as { stderr: string }).stderr).not.toContain('0xsecret')
    const overridden = await run(process.execPath, [bin, `--config=${file}`], {
      env: { ...cleanEnv(), TOLLGATE_RPC_URL_8453: 'ftp://nope' },
    }).catch((e: { code: number; stderr: string }) => e)
    expect((overridden as { stderr: string }).stderr).toContain('TOLLGATE_RPC_URL_8453')
    writeFileSync(file, 'TOLLGATE_SIGNER_KEY 0xsecret\n')
    const bad = await run(process.execPath, [bin, '--config', file], { env: cleanEnv() }).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect(bad).toMatchObject({ code: 1 })
    expect((bad as { stderr: string }).stderr).toContain(`${file}:1: expected NAME=value`)
    expect((bad as { stderr: string }).stderr).not.toContain('0xsecret')
  })

  test('behavior: serves until SIGTERM, then exits 0', async () => {
    const child = spawn(process.execPath, [bin], {
      env: {
        ...cleanEnv(),
        TOLLGATE_PORT: '0',
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: chain.url,
        TOLLGATE_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    let output = ''
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.setEncoding('utf8')
      child.stderr?.setEncoding('utf8')
      child.stderr?.on('data', (chunk: string) => {
        output += chunk
      })
      child.stdout?.on('data', (chunk: string) => {
        output += chunk
        const match = /"msg":"listening"/.test(output) ? /"url":"(http:\/\/[^"]+)"/.exec(output) : null
        if (match?.[1]) resolve(match[1])
      })
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${output}`)))
    })
    expect(output).toContain(chain.accounts.facilitator.address)
    expect(output).not.toContain(devPrivateKeys[0].slice(2))
    const supported = await (await fetch(`${url}/supported`)).json()
    expect(supported.kinds).toContainEqual({ x402Version: 2, scheme: 'exact', network: 'eip155:8453' })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    children.delete(child)
  })
})

describe('tollgate-facilitator --help and --config', () => {
  test('behavior: --help lists every option of the schema with the default the schema gives', async () => {
    const { options, patternOptions } = await import('../../apps/facilitator/src/config/options.ts')
    const { describeOptions } = await import('../../apps/facilitator/src/config/describeOptions.ts')
    const { stdout } = await run(process.execPath, [bin, '--help'])
    const names = [...Object.keys(options), ...Object.keys(patternOptions)]
    expect(names.length).toBeGreaterThanOrEqual(28)
    for (const { name, default: shown } of describeOptions()) {
      const line = stdout.split('\n').find((text) => text.trimStart().startsWith(`${name} `))
      expect(line, name).toBeDefined()
      expect(line, name).toContain(`(default: ${shown})`)
    }
    for (const name of names) expect(stdout, name).toContain(name)
    // Defaults come from the schema: a few spelled out.
    expect(stdout).toMatch(/TOLLGATE_PORT +.*\(default: 4020\)/)
    expect(stdout).toMatch(/TOLLGATE_MAX_FEE_PER_GAS +.*\(default: 100000000000\)/)
    expect(stdout).toMatch(/TOLLGATE_SIGNER_KEY +.*\(default: required\)/)
  })

  test('behavior: --config reads the same keys from a JSON file; the environment wins; unknown keys are refused', async () => {
    const { writeFileSync } = await import('node:fs')
    const { environmentFrom } = await import('../../apps/facilitator/src/commands/cli.ts')
    const { parseConfig } = await import('../../apps/facilitator/src/config/parseConfig.ts')
    const path = join(dataDir, 'config.json')
    writeFileSync(
      path,
      JSON.stringify({
        TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
        TOLLGATE_RPC_URL_8453: 'http://127.0.0.1:8545',
        TOLLGATE_PORT: 4100,
        TOLLGATE_BATCH_SIZE: 20,
      }),
    )
    const { readFileSync } = await import('node:fs')
    const read = (file: string) => readFileSync(file, 'utf8')
    const config = parseConfig(environmentFrom(['--config', path], { TOLLGATE_PORT: '4200' }, read))
    expect(config).toMatchObject({ port: 4200, batch: { maxSize: 20 } })
    expect(parseConfig(environmentFrom([`--config=${path}`], {}, read)).port).toBe(4100)
    writeFileSync(path, JSON.stringify({ TOLLGATE_PROT: 1 }))
    expect(() => environmentFrom(['--config', path], {}, read)).toThrow(/unknown option TOLLGATE_PROT/)
    expect(() => environmentFrom(['--verbose'], {}, read)).toThrow(/Unknown argument: --verbose/)
    const error = await run(process.execPath, [bin, '--bogus'], { env: cleanEnv() }).catch(
      (e: { code: number; stderr: string }) => e,
    )
    expect(error).toMatchObject({ code: 2 })
  })
})

test('behavior: the service README names every option of the schema', async () => {
  const { readFileSync } = await import('node:fs')
  const { describeOptions } = await import('../../apps/facilitator/src/config/describeOptions.ts')
  const readme = readFileSync(join(import.meta.dirname, '../../apps/facilitator/README.md'), 'utf8')
  for (const { name } of describeOptions()) expect(readme, name).toContain(`\`${name}\``)
})
