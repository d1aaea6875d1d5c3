/**
 * A Worker entry inside workerd: bundled with esbuild as wrangler would (the workspace's TypeScript sources,
 * no `nodejs_compat`) and served by Miniflare 4 on loopback.
 *
 * @see reference/workers.md §1 (esbuild and Miniflare options that work on Node 20)
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { Miniflare, type WorkerOptions } from 'miniflare'

export type RunningWorker = {
  /** The Worker's origin, without a trailing slash. */
  url: string
  /** The Miniflare instance (Durable Object namespaces, `setOptions`). */
  mf: Miniflare
  stop(): Promise<void>
}

export type StartWorkerOptions = {
  /** Durable Object bindings, each `{ className, useSQLite }`. */
  durableObjects?: WorkerOptions['durableObjects']
  /** Keeps Durable Object storage (and alarms) in this folder, across a stop and a start. Default: in memory. */
  persistDir?: string
}

export async function startWorker(
  entry: string,
  bindings: Record<string, string>,
  { durableObjects, persistDir }: StartWorkerOptions = {},
): Promise<RunningWorker> {
  const outdir = await mkdtemp(join(tmpdir(), 'tollgate-worker-'))
  let mf: Miniflare | undefined
  const stop = async () => {
    try {
      await mf?.dispose()
    } finally {
      await rm(outdir, { recursive: true, force: true })
    }
  }
  try {
    const scriptPath = join(outdir, 'worker.js')
    await build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      // The workspace's packages resolve to their TypeScript sources under `@tollgate/source` (no build in the test loop).
      conditions: ['@tollgate/source', 'workerd', 'worker', 'browser'],
      external: ['cloudflare:*'],
      outfile: scriptPath,
      minify: true,
      logLevel: 'silent',
    })
    mf = new Miniflare({
      modules: true,
      scriptPath,
      // The bundle lives outside the working directory; module paths must not climb out of their root.
      modulesRoot: outdir,
      compatibilityDate: '2025-09-01',
      cf: false,
      bindings,
      ...(durableObjects ? { durableObjects } : {}),
      ...(persistDir ? { durableObjectsPersist: persistDir } : {}),
    })
    return { url: (await mf.ready).toString().replace(/\/$/, ''), mf, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
