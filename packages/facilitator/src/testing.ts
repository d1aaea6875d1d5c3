/**
 * `@tollgate/facilitator/testing`: the Store conformance suite, for testing a Store implementation
 * under any test runner.
 *
 * @example
 * import { storeConformance } from '@tollgate/facilitator/testing'
 * for (const { name, run } of storeConformance(() => createMyStore())) test(name, run)
 */
export type { ConformanceCase, MakeStore } from './conformance/storeConformance.ts'
export { storeConformance } from './conformance/storeConformance.ts'
