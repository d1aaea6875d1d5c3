/**
 * The packages as a user gets them, outside this repository: builds (`npm run build`), packs every publishable
 * workspace, lints the tarballs (publint, @arethetypeswrong/cli), installs them with npm into a fresh temporary
 * folder, then, with nothing from the workspace on the resolution path:
 * - starts the facilitator from the installed `tollgate-facilitator` bin under plain node (no tsx), on the local chain,
 *   configured by environment variables, then by a `--config` file;
 * - runs a small existing Hono app (fixture/server.js) with @tollgate/hono added, under plain node, and pays it
 *   with the official v2 client (@x402/fetch + @x402/evm);
 * - bundles the demo's Worker from the installed packages with wrangler and pays it in Miniflare, for a route and for
 *   its MCP tool (@tollgate/mcp, the MCP SDK's client);
 * - type-checks a consumer file (fixture/consumer.ts) against the published .d.ts with tsc.
 *
 * Offline-friendly: npm installs with `--prefer-offline` from its cache (the registry is reachable if needed), and
 * better-sqlite3's prebuild, which its install script would download from outside the registry, is handed the binary
 * this workspace already built (`npm_config_better_sqlite3_local_prebuilds`) instead of compiling SQLite again.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { decodeHeader, settleResponseSchema } from '@tollgate/protocol'
import { x402Client } from '@x402/core/client'
import { ExactEvmScheme } from '@x402/evm/exact/client'
import { wrapFetchWithPayment } from '@x402/fetch'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { devPrivateKeys } from '../chain/accounts.ts'
import { type LocalChain, startLocalChain } from '../chain/localChain.ts'

const root = join(import.meta.dirname, '..', '..')
const fixture = join(import.meta.dirname, 'fixture')
const run = promisify(execFile)

/** The publishable workspaces: every one is packed, linted and installed. */
const workspaces = [
  'packages/protocol',
  'packages/evm',
  'packages/facilitator',
  'packages/store-sqlite',
  'packages/store-postgres',
  'packages/hono',
  'packages/mcp',
  'apps/facilitator',
] as const
/** The libraries (the service has a bin and no importable entry, so attw has nothing to resolve there). */
const libraries = [
  '@tollgate/protocol',
  '@tollgate/evm',
  '@tollgate/facilitator',
  '@tollgate/store-sqlite',
  '@tollgate/store-postgres',
  '@tollgate/hono',
  '@tollgate/mcp',
]

type Packed = { name: string; filename: string; files: { path: string }[] }

let temp: string
let consumer: string
let packed: Packed[]
let chain: LocalChain
let mf: Miniflare | undefined
let typecheck: Promise<string>
const children = new Set<ChildProcess>()
const lint: Record<string, { publint: string; attw?: string }> = {}
const sizes: Record<string, { raw: number; gzip: number }> = {}

/** No TOLLGATE_* or NODE_OPTIONS from the test's own environment reaches the consumer's processes. */
const cleanEnv = (extra: Record<string, string> = {}) => ({
  ...(Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('TOLLGATE_') && name !== 'NODE_OPTIONS'),
  ) as NodeJS.ProcessEnv),
  ...extra,
})
const wranglerEnv = () =>
  cleanEnv({
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    XDG_CONFIG_HOME: join(temp, 'config'),
  })

/** Starts `args` under plain node in the consumer folder and resolves the URL its first matching line prints. */
function startNode(
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd: consumer, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no match for ${pattern} in 30 s: ${output}`)), 30_000)
    const read = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = pattern.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve({ url: match[1], child })
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited ${code}: ${output}`))
    })
  })
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const code = await exited
  children.delete(child)
  return code
}

/** `Total Upload: 351.33 KiB / gzip: 79.08 KiB` from wrangler's dry run. */
function uploadSize(output: string): { raw: number; gzip: number } {
  const match = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output)
  if (!match) throw new Error(`no size in wrangler's output: ${output}`)
  return { raw: Number(match[1]), gzip: Number(match[2]) }
}

async function wranglerDryRun(cwd: string, outdir: string): Promise<{ raw: number; gzip: number }> {
  const wrangler = join(root, 'node_modules', 'wrangler', 'bin', 'wrangler.js')
  const { stdout, stderr } = await run(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], {
    cwd,
    env: wranglerEnv(),
  })
  return uploadSize(stdout + stderr)
}

/** How long each setup step took, printed once: the suite's run time is watched. */
const timings: string[] = []
async function timed<T>(step: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await work()
  } finally {
    timings.push(`${step} ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
}

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'tollgate-consumer-'))
  consumer = join(temp, 'app')
  const packs = join(temp, 'packs')
  await Promise.all([mkdir(consumer), mkdir(packs), mkdir(join(temp, 'prebuilds'))])

  await timed('build', () => run('npm', ['run', 'build'], { cwd: root, env: cleanEnv() }))
  const packArgs = ['pack', '--json', '--pack-destination', packs, ...workspaces.flatMap((w) => ['--workspace', w])]
  const { stdout } = await timed('pack', () => run('npm', packArgs, { cwd: root, env: cleanEnv() }))
  packed = JSON.parse(stdout)
  const tarballs = packed.map(({ filename }) => join(packs, filename))

  // publint (strict) on every tarball; attw on every library's, ESM only (no CommonJS entry is offered). attw and
  // publint exit non-zero when they find a problem.
  const bin = (name: string) => join(root, 'node_modules', '.bin', name)
  const report = (args: Promise<{ stdout: string; stderr: string }>) =>
    args.then(
      (r) => `OK ${r.stdout}${r.stderr}`,
      (e: { stdout: string; stderr: string }) => `FAILED ${e.stdout}${e.stderr}`,
    )
  const linted = timed('publint + attw', () =>
    Promise.all(
      packed.map(async ({ name, filename }) => {
        const tarball = join(packs, filename)
        lint[name] = { publint: await report(run(bin('publint'), ['--strict', tarball])) }
        if (libraries.includes(name)) {
          lint[name].attw = await report(run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii']))
        }
      }),
    ),
  )

  // The consumer project: the tarballs, hono and @hono/node-server (its existing app), viem (the typed consumer file
  // imports it), the MCP SDK and zod (the demo Worker's MCP tool).
  const sqliteDir = join(root, 'node_modules', 'better-sqlite3')
  if (existsSync(join(sqliteDir, 'build', 'Release', 'better_sqlite3.node'))) {
    const { version } = JSON.parse(await readFile(join(sqliteDir, 'package.json'), 'utf8'))
    const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
    await run('tar', ['czf', join(temp, 'prebuilds', name), '-C', sqliteDir, 'build/Release/better_sqlite3.node'])
  }
  const manifest = { name: 'consumer', private: true, type: 'module' }
  await writeFile(join(consumer, 'package.json'), `${JSON.stringify(manifest)}\n`)
  const installArgs = ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs]
  installArgs.push(
    'hono@4.13.19',
    '@hono/node-server@1.19.19',
    'viem@2.57.20',
    '@modelcontextprotocol/sdk@1.32.2',
    'zod@4.6.7',
  )
  const installEnv = cleanEnv({ npm_config_better_sqlite3_local_prebuilds: join(temp, 'prebuilds') })
  await timed('npm install', () => run('npm', installArgs, { cwd: consumer, env: installEnv }))
  for (const file of ['server.js', 'consumer.ts', 'tsconfig.json']) await cp(join(fixture, file), join(consumer, file))
  // tsc runs beside the suites below (they mostly wait on the chain); its test awaits the outcome.
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const started = performance.now()
  typecheck = run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: consumer }).then(
    () => '',
    (e: { stdout: string; message: string }) => e.stdout || e.message,
  )
  void typecheck.then(() =>
    console.log(`tsc on the consumer file: ${((performance.now() - started) / 1000).toFixed(1)} s`),
  )
  await linted
  chain = await timed('local chain', () => startLocalChain())
  console.log(`consumer setup: ${timings.join(', ')}`)
}, 300_000)

afterAll(async () => {
  try {
    await mf?.dispose()
    for (const child of children) child.kill('SIGKILL')
  } finally {
    await chain?.stop()
    if (temp) await rm(temp, { recursive: true, force: true })
  }
})

/**
 * Starts the installed facilitator bin under plain node, settling from dev account #0 on the local chain, configured
 * through the environment or (`config: true`) a `--config` file of NAME=value lines.
 */
async function startInstalledFacilitator(ledger: string, { config = false } = {}) {
  const variables: Record<string, string> = {
    TOLLGATE_PORT: '0',
    TOLLGATE_SIGNER_KEY: devPrivateKeys[0],
    TOLLGATE_NETWORKS: chain.network,
    [`TOLLGATE_RPC_URL_${chain.chainId}`]: chain.url,
    TOLLGATE_DATA_DIR: join(temp, ledger),
    // A local chain: no API keys (the sellers here send none).
    TOLLGATE_AUTH: 'off',
  }
  const bin = join(consumer, 'node_modules', '.bin', 'tollgate-facilitator')
  // The service logs JSON lines; the one that says it listens carries the URL.
  const listening = /\{[^\n]*"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"[^\n]*\}\n/
  if (!config) return startNode([bin], variables, listening)
  const file = join(temp, `${ledger}.env`)
  const lines = Object.entries(variables).map(([name, value]) => `${name}=${value}`)
  await writeFile(file, `# tollgate-facilitator configuration\n${lines.join('\n')}\n`)
  return startNode([bin, '--config', file], {}, listening)
}

describe('the packed packages', () => {
  test('default: tarballs hold dist and no tests; exports resolve to built .js and .d.ts, never to .ts', async () => {
    expect(packed.map(({ name }) => name).sort()).toEqual([...libraries, '@tollgate/facilitator-service'].sort())
    for (const { name, files } of packed) {
      const paths = files.map(({ path }) => path)
      expect(
        paths.filter((path) => /\.test\.ts$|(^|\/)test\//.test(path)),
        name,
      ).toEqual([])
      expect(
        paths.some((path) => path.startsWith('dist/') && path.endsWith('.js')),
        name,
      ).toBe(true)
    }
    for (const name of libraries) {
      const dir = join(consumer, 'node_modules', name)
      const entry = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')).exports['.']
      expect(entry.import, name).toMatch(/^\.\/dist\/.+\.js$/)
      expect(entry.types, name).toMatch(/^\.\/dist\/.+\.d\.ts$/)
      expect(existsSync(join(dir, entry.import)), name).toBe(true)
      expect(existsSync(join(dir, entry.types)), name).toBe(true)
    }
    // What a user's `import` resolves to, asked of node in the consumer folder.
    const script = `for (const n of ${JSON.stringify(libraries)}) console.log(import.meta.resolve(n))`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumer,
      env: cleanEnv(),
    })
    const resolved = stdout.trim().split('\n')
    expect(resolved).toHaveLength(libraries.length)
    for (const url of resolved) {
      expect(url.startsWith(`file://${consumer}/node_modules/@tollgate/`), url).toBe(true)
      expect(url).toMatch(/\/dist\/index\.js$/)
    }
    expect(existsSync(join(consumer, 'node_modules', 'tsx')), 'the consumer has no tsx').toBe(false)
  })

  test('default: nothing @tollgate/hono installs is a native module or runs an install script', async () => {
    // Walks the installed tree as node resolves it: a nested copy first, then the hoisted one.
    const seen = new Map<string, string>()
    const queue: [string, string][] = [['@tollgate/hono', consumer]]
    const offenders: string[] = []
    while (queue.length > 0) {
      const [name, from] = queue.shift() as [string, string]
      const nested = join(from, 'node_modules', name)
      const dir = existsSync(nested) ? nested : join(consumer, 'node_modules', name)
      if ([...seen.values()].includes(dir)) continue
      seen.set(name, dir)
      const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
      const scripts = manifest.scripts ?? {}
      if (scripts.preinstall || scripts.install || scripts.postinstall || manifest.gypfile) offenders.push(name)
      if (existsSync(join(dir, 'binding.gyp'))) offenders.push(name)
      for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        queue.push([dependency, dir])
      }
    }
    expect([...seen.keys()]).toEqual(expect.arrayContaining(['@tollgate/hono', '@tollgate/protocol', 'hono', 'zod']))
    expect(offenders).toEqual([])
  })

  test('default: publint (strict) and attw report no problem', () => {
    expect(Object.keys(lint).sort()).toEqual([...libraries, '@tollgate/facilitator-service'].sort())
    for (const [name, { publint, attw }] of Object.entries(lint)) {
      expect(publint, `publint ${name}`).toMatch(/^OK [\s\S]*All good!/)
      if (libraries.includes(name)) expect(attw, `attw ${name}`).toMatch(/^OK /)
    }
  })
})

describe('the installed facilitator and an existing Hono app under plain node', () => {
  test('default: npx tollgate-facilitator --help', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tollgate-facilitator', '--help'], {
      cwd: consumer,
      env: cleanEnv(),
    })
    expect(stdout).toContain('Usage: tollgate-facilitator')
  })

  test('behavior: the official v2 client pays the app through the installed facilitator on the local chain', async () => {
    const facilitator = await startInstalledFacilitator('ledger')
    const app = await startNode(
      ['server.js'],
      { FACILITATOR_URL: facilitator.url, PAY_TO: chain.accounts.seller.address },
      /listening on (http:\/\/\S+)/,
    )
    try {
      expect((await fetch(`${app.url}/quote`)).status).toBe(402)
      const payer = chain.accounts.payers[0]
      const before = await chain.balanceOf(chain.accounts.seller.address)
      const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
      const res = await pay(`${app.url}/quote`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ paidBy: payer.address })
      expect(decodeHeader(settleResponseSchema, res.headers.get('payment-response')).success).toBe(true)
      expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(1000n)
    } finally {
      expect(await stop(app.child)).toBe(0)
      expect(await stop(facilitator.child)).toBe(0)
    }
  })
})

describe('the demo Worker bundled by wrangler from the installed packages', () => {
  test('behavior: no larger than the demo bundled from source; the official v2 client pays it in Miniflare', async () => {
    const worker = join(consumer, 'worker')
    await mkdir(join(worker, 'src'), { recursive: true })
    for (const file of ['worker.ts', 'app.ts', 'config.ts', 'mcp.ts', 'weather.ts']) {
      await cp(join(root, 'apps', 'demo', 'src', file), join(worker, 'src', file))
    }
    const config = 'name = "consumer-worker"\nmain = "src/worker.ts"\ncompatibility_date = "2025-09-01"\n'
    await writeFile(join(worker, 'wrangler.toml'), config)
    // The installed packages resolve from the consumer's node_modules (esbuild walks up from worker/).
    const outdir = join(worker, 'dist')
    const [installed, source] = await Promise.all([
      wranglerDryRun(worker, outdir),
      wranglerDryRun(root, join(temp, 'demo-dist')),
    ])
    sizes.installed = installed
    sizes.source = source
    console.log(
      `Worker bundle (wrangler dry-run, unminified): installed packages ${installed.raw} KiB / gzip ${installed.gzip} KiB; ` +
        `the demo from source ${source.raw} KiB / gzip ${source.gzip} KiB`,
    )
    expect(installed.raw).toBeLessThanOrEqual(source.raw)

    const facilitator = await startInstalledFacilitator('ledger-worker', { config: true })
    try {
      mf = new Miniflare({
        modules: true,
        scriptPath: join(outdir, 'worker.js'),
        modulesRoot: outdir,
        compatibilityDate: '2025-09-01',
        cf: false,
        bindings: {
          TOLLGATE_FACILITATOR_URL: facilitator.url,
          TOLLGATE_PAY_TO: chain.accounts.seller.address,
          TOLLGATE_NETWORK: 'eip155:8453',
        },
      })
      const url = (await mf.ready).toString().replace(/\/$/, '')
      expect((await fetch(`${url}/weather?city=Oslo`)).status).toBe(402)
      const payer = chain.accounts.payers[1]
      const before = await chain.balanceOf(chain.accounts.seller.address)
      const pay = wrapFetchWithPayment(fetch, new x402Client().register('eip155:8453', new ExactEvmScheme(payer)))
      const res = await pay(`${url}/weather?city=Oslo`)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ city: 'Oslo', paidBy: payer.address })
      expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(1000n)

      // Its MCP tool, from the installed @tollgate/mcp: the PaymentRequired, then paid by the official v2 client.
      const client = new Client({ name: 'consumer', version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)))
      try {
        const args = { city: 'Lima', days: 2 }
        const unpaid = (await client.callTool({ name: 'get_forecast', arguments: args })) as CallToolResult
        expect(unpaid).toMatchObject({ isError: true, structuredContent: { accepts: [{ amount: '2000' }] } })
        const payment = await new x402Client()
          .register('eip155:8453', new ExactEvmScheme(chain.accounts.payers[2]))
          .createPaymentPayload(unpaid.structuredContent as never)
        const paid = (await client.callTool({
          name: 'get_forecast',
          arguments: args,
          _meta: { 'x402/payment': payment },
        })) as CallToolResult
        expect(paid.structuredContent).toMatchObject({ city: 'Lima' })
        expect(settleResponseSchema.parse(paid._meta?.['x402/payment-response']).success).toBe(true)
        expect((await chain.balanceOf(chain.accounts.seller.address)) - before).toBe(3000n)
      } finally {
        await client.close()
      }
    } finally {
      await mf?.dispose()
      mf = undefined
      expect(await stop(facilitator.child)).toBe(0)
    }
  }, 120_000)
})

// Last, so that tsc (started at the end of the setup) overlaps the suites above.
describe('the published types', () => {
  test('default: tsc type-checks a consumer file against the published types (NodeNext, strict)', async () => {
    expect(await typecheck).toBe('')
  }, 120_000)
})
