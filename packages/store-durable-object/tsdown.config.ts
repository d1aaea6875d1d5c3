import { defineConfig } from 'tsdown'

// Web APIs only: the Durable Object class imports cloudflare:workers, left external.
// ESM for Node 20 (and Workers where the package is runtime-neutral), a bundled .d.ts, source maps for both.
// Dependencies and peer dependencies stay external (read from package.json): @tollgate/* import each other by name.
export default defineConfig({
  entry: ['src/index.ts'],
  deps: { neverBundle: [/^cloudflare:/] },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  fixedExtension: false,
  sourcemap: true,
  dts: { sourcemap: true },
  tsconfig: '../../tsconfig.build.json',
  logLevel: 'warn',
  inputOptions: { checks: { pluginTimings: false } },
})
