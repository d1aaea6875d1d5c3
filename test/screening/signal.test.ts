/**
 * The installed CLI with screening on (issue 12): the bin starts with an artifact, refuses to start without a
 * valid one, and SIGHUP reloads the list in the running process.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'
import { artifactOf, writeArtifact } from './artifact.ts'

const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const dir = mkdtempSync(join(tmpdir(), 'tollgate-sighup-'))
const listPath = join(dir, 'ofac.json')
let chain: LocalChain
const children = new Set<ChildProcess>()
beforeAll(async () => {
  chain = await startLocalChain()
})
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL')
  await chain?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function start() {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TOLLGATE_')))
  const child = spawn(process.execPath, [bin], {
    env: {
      ...env,
      TOLLGATE_PORT: '0',
      TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
      TOLLGATE_RPC_URL_8453: chain.url,
      TOLLGATE_DATA_DIR: join(dir, 'data'),
      TOLLGATE_SCREENING: 'on',
      TOLLGATE_SANCTIONS_LIST: listPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 40_000
    while (!pattern.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  return { child, exited, waitFor, output: () => output }
}

test('behavior: without a valid artifact the service does not start', async () => {
  writeArtifact(listPath, '{"format":"ofac-sdn-evm/1"}')
  const { exited, output } = start()
  expect(await exited).toBe(1)
  expect(output()).toMatch(/TOLLGATE_SANCTIONS_LIST: source/)
}, 60_000)

test('behavior: SIGHUP reloads the list in the running service', async () => {
  writeArtifact(listPath, artifactOf([], { dateOfIssue: '2026-12-01' }))
  const service = start()
  await service.waitFor(/"msg":"listening"/)
  expect(service.output()).toMatch(/"trigger":"start".*"dateOfIssue":"2026-12-01".*"msg":"sanctions list loaded"/)
  service.child.kill('SIGHUP')
  // The same file: read again, unchanged (counted, not logged); a new one on SIGHUP is logged with its trigger.
  writeArtifact(listPath, artifactOf([`0x${'0'.repeat(39)}9`], { dateOfIssue: '2026-12-02' }))
  await service.waitFor(/"dateOfIssue":"2026-12-02".*"msg":"sanctions list loaded"/)
  writeArtifact(listPath, 'broken')
  await service.waitFor(/"msg":"sanctions list refused; the loaded one is kept"/)
  // The watch may see the replacement more than once; the signal's own reload is the line that names it.
  expect(service.output()).not.toMatch(/"trigger":"signal","reason"/)
  service.child.kill('SIGHUP')
  await service.waitFor(/"trigger":"signal","reason":"not JSON"/)
  service.child.kill('SIGTERM')
  expect(await service.exited).toBe(0)
  children.delete(service.child)
}, 90_000)
