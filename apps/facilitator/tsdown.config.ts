import { defineConfig } from 'tsdown'

// The service has no library API: only what bin/tollgate-facilitator.js runs (the Node entry, help, keys, doctor, receipt-keys).
// ESM for Node 20 (and Workers where the package is runtime-neutral), a bundled .d.ts, source maps for both.
// Dependencies and peer dependencies stay external (read from package.json): @tollgate/* import each other by name.
export default defineConfig({
  entry: [
    'src/node.ts',
    'src/cli.ts',
    'src/keys.ts',
    'src/doctor.ts',
    'src/receiptKeys.ts',
    'src/sanctions.ts',
    'src/audit.ts',
  ],
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  fixedExtension: false,
  sourcemap: true,
  dts: false,
  tsconfig: '../../tsconfig.build.json',
  logLevel: 'warn',
  inputOptions: { checks: { pluginTimings: false } },
})
