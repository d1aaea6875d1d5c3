import { defineConfig } from 'vitest/config'

/**
 * Suites that load the chain hard (hundreds of settlements, crash and fault injection), or whose
 * figures depend on when requests arrive (the sub-cent test measures the batch that 50 concurrent
 * payments make). On a 2-core machine two of them at once slow each other's receipts past their
 * bounds, so they run after the rest, one file at a time.
 */
const loadSuites = [
  'test/engine/**/*.test.ts',
  'test/recovery/**/*.test.ts',
  'test/ledger/**/*.test.ts',
  'test/facilitator/settle.test.ts',
  'test/economics/subCent.test.ts',
]

/**
 * Builds, packs and installs every package into a temporary folder (about a minute of CPU on both cores): run on
 * its own after the rest, so it does not slow the chain suites' receipts.
 */
const packagingSuites = ['test/consumer/**/*.test.ts']

const shared = { testTimeout: 30_000, hookTimeout: 60_000 }

/**
 * The workspace's packages export their TypeScript sources under this condition (their package.json `exports`),
 * so tests run the sources with no build; users resolve `import`/`types` to dist.
 */
const sourceCondition = '@tollgate/source'

export default defineConfig({
  resolve: { conditions: [sourceCondition, 'module', 'node', 'development|production'] },
  ssr: { resolve: { conditions: [sourceCondition, 'module', 'node', 'development|production'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          ...shared,
          name: 'unit and integration',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ...loadSuites, ...packagingSuites],
          // Chain and server suites spawn their own processes on free ports; two cores, two workers.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'load',
          include: loadSuites,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'packaging',
          include: packagingSuites,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
})
