/**
 * `npm start` with screening on (scripts/stack.ts on free ports): the paid demo payment settles, and the payer on the
 * local sanctions oracle's demo list is refused by the facilitator's default screening, its balance untouched.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { listedDemoPayer, payScreened } from '../../scripts/screenedPayment.ts'
import { payDemo, type Stack, startStack } from '../../scripts/stack.ts'

let stack: Stack | undefined
let dataDir: string | undefined
afterAll(async () => {
  await stack?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

test('behavior: next to the paid payment, a payer on the demo list is refused with compliance_blocked_payer', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tollgate-stack-screening-'))
  const lines: string[] = []
  stack = await startStack({ chainPort: 0, facilitatorPort: 0, demoPort: 0, dataDir })
  expect((await payDemo(stack)).status).toBe(200)
  const refused = await payScreened(stack, { log: (line) => lines.push(line) })
  expect(refused).toEqual({ status: 402, error: 'compliance_blocked_payer', before: 10_000_000n, after: 10_000_000n })
  expect(lines.join('\n')).toContain(`as ${listedDemoPayer.address} (on the oracle's demo list) -> 402`)
  expect(lines.join('\n')).toContain('PAYMENT-REQUIRED error: compliance_blocked_payer')
}, 60_000)
