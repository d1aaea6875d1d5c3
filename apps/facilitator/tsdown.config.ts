import { defineConfig } from 'tsdown'

// The service has no library API: only what bin/tollgate-facilitator.js runs (the Node entry, help, keys, doctor, receipt-keys).
// ESM for Node 20 (and Workers where the package is runtime-neutral), a bundled .d.ts, source maps for both.
// Dependencies and peer dependencies stay external (read from package.json): @tollgate/* import each other by name.
// Entries are named: dist/<name>.js is what the bin loads (`load(name)`), wherever the source sits under src/.
export default defineConfig({
  entry: {
    node: 'src/node.ts',
    cli: 'src/commands/cli.ts',
    keys: 'src/commands/keys.ts',
    doctor: 'src/commands/doctor.ts',
    receiptKeys: 'src/receipts/receiptKeys.ts',
    sanctions: 'src/commands/sanctions.ts',
    audit: 'src/commands/audit.ts',
  },
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
