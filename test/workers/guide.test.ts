/**
 * docs/guides/facilitator-workers.md, run: its API-key one-liner makes a key the Worker accepts, its secrets are the
 * ones the Worker reads, and its dry-run command bundles the Worker with both Durable Object bindings.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'
import { parseWorkerConfig } from '../../apps/facilitator-worker/src/workerConfig.ts'

const run = promisify(execFile)
const root = join(import.meta.dirname, '..', '..')
const guide = await readFile(join(root, 'docs/guides/facilitator-workers.md'), 'utf8')
const commands = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
  (block[1] ?? '').split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()),
)
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
}

test('behavior: the guide makes an API key the Worker accepts, and names the secrets it reads', async () => {
  const keyCommand = commands.find((command) => command.startsWith('node -e'))
  expect(keyCommand).toBeDefined()
  const { stdout } = await run('sh', ['-c', keyCommand as string], { env })
  const key = stdout.trim()
  const parsed = parseWorkerConfig({
    TOLLGATE_RPC_URL: 'http://127.0.0.1:8545',
    TOLLGATE_SIGNER_KEY: `0x${'11'.repeat(32)}`,
    TOLLGATE_API_KEYS: key,
  })
  expect(parsed).toMatchObject({ ok: true, config: { apiKeys: [key] } })
  const secrets = commands
    .filter((command) => command.startsWith('npx wrangler secret put'))
    .map((c) => c.split(' ')[4])
  expect(secrets).toEqual(['TOLLGATE_SIGNER_KEY', 'TOLLGATE_RPC_URL', 'TOLLGATE_API_KEYS', 'TOLLGATE_RECEIPT_KEYS'])
})

test('behavior: the guide dry-run bundles the Worker with its Durable Object bindings', async () => {
  const dryRun = commands.find((command) => command.startsWith('npx wrangler deploy --dry-run'))
  expect(dryRun).toBe('npx wrangler deploy --dry-run --outdir dist')
  const outdir = await mkdtemp(join(tmpdir(), 'tollgate-fw-dist-'))
  try {
    // The guide's command, with the output folder outside the repository.
    const { stdout } = await run('sh', ['-c', (dryRun as string).replace('--outdir dist', `--outdir ${outdir}`)], {
      cwd: join(root, 'apps/facilitator-worker'),
      env,
    })
    expect(stdout).toMatch(/Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/)
    expect(stdout).toContain('env.FACILITATOR (FacilitatorObject)')
    expect(stdout).toContain('env.STORE (StoreObject)')
    expect(stdout).not.toContain('nodejs_compat')
  } finally {
    await rm(outdir, { recursive: true, force: true })
  }
}, 60_000)
