import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { artifactOf, writeArtifact } from '../../../../test/screening/artifact.ts'
import { createSanctionsLoader, type SanctionsReload } from './createSanctionsLoader.ts'

const dir = mkdtempSync(join(tmpdir(), 'tollgate-loader-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const a = '0x00000000000000000000000000000000000000a1'
const many = Array.from({ length: 10 }, (_, i) => `0x${(0xb00 + i).toString(16).padStart(40, '0')}` as const)

test('default: loads at start; a missing or malformed artifact fails the start', () => {
  const path = join(dir, 'start.json')
  expect(() => createSanctionsLoader({ path, watchFile: false })).toThrow(/TOLLGATE_SANCTIONS_LIST: cannot read/)
  writeArtifact(path, '{"format":"ofac-sdn-evm/1"}')
  expect(() => createSanctionsLoader({ path, watchFile: false })).toThrow(/TOLLGATE_SANCTIONS_LIST: source/)
  writeArtifact(path, artifactOf([a]))
  const loader = createSanctionsLoader({ path, watchFile: false })
  expect(loader.current()?.addresses.has(a)).toBe(true)
  loader.close()
})

test('behavior: reloads keep the old list on a bad or older artifact, and flag a mass removal', () => {
  const path = join(dir, 'reload.json')
  writeArtifact(path, artifactOf([a, ...many], { dateOfIssue: '2026-12-02' }))
  const seen: SanctionsReload[] = []
  const loader = createSanctionsLoader({ path, watchFile: false, onReload: (result) => seen.push(result) })
  expect(loader.reload()).toMatchObject({ ok: true, changed: false })
  writeArtifact(path, 'not json')
  expect(loader.reload()).toEqual({ ok: false, reason: 'not JSON' })
  expect(loader.current()?.count).toBe(13)
  writeArtifact(path, artifactOf([a], { dateOfIssue: '2026-12-01' }))
  expect(loader.reload()).toMatchObject({ ok: false, reason: expect.stringMatching(/older list/) })
  writeArtifact(path, artifactOf([a], { dateOfIssue: '2026-12-03' }))
  expect(loader.reload()).toMatchObject({ ok: true, changed: true, removed: 10, added: 0, massRemoval: true })
  expect(loader.current()?.addresses.has(many[0] as string)).toBe(false)
  expect(seen).toHaveLength(5)
  loader.close()
})

test('behavior: a file replaced on disk is swapped in without a call (watch, or the poll where events are lost)', async () => {
  const path = join(dir, 'watched.json')
  writeArtifact(path, artifactOf([a], { dateOfIssue: '2026-12-01' }))
  const loader = createSanctionsLoader({ path, pollMs: 100 })
  writeArtifact(path, artifactOf([a, ...many], { dateOfIssue: '2026-12-02' }))
  const deadline = Date.now() + 3_000
  while (loader.current()?.dateOfIssue !== '2026-12-02' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  expect(loader.current()?.count).toBe(13)
  loader.close()
})
