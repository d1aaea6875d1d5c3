import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parseSanctionsArtifact } from '@tollgate/facilitator'
import { afterAll, expect, test } from 'vitest'
import { convertSdnCsv } from '../../apps/facilitator/src/sanctions/convertSdnCsv.ts'
import { convertSdnXml } from '../../apps/facilitator/src/sanctions/convertSdnXml.ts'

const run = promisify(execFile)
const fixtures = join(import.meta.dirname, 'fixtures')
const xmlFixture = join(fixtures, 'sdn_advanced.fixture.xml')
const bin = join(import.meta.dirname, '../../apps/facilitator/bin/tollgate-facilitator.js')
const dir = mkdtempSync(join(tmpdir(), 'tollgate-sdn-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const checkedAt = new Date('2025-01-03T00:00:00Z')

const expectedEvm = [
  { address: '0x00000000000000000000000000000000000f1c57', labels: ['ZZZ'], refs: ['900002'], programs: ['CYBER2'] },
  {
    address: '0x52908400098527886e0f7030069857d2e4169ee7',
    labels: ['ETH', 'USDC'],
    refs: ['900001'],
    programs: ['CYBER2'],
  },
  { address: '0xde709f2102306220921060314715629080e2fb77', labels: ['USDT'], refs: ['900001'], programs: ['CYBER2'] },
]

test('default: the XML fixture converts into the expected addresses, date and source hash', async () => {
  const artifact = await convertSdnXml(xmlFixture, { checkedAt })
  expect(artifact.source).toMatchObject({
    publisher: 'OFAC',
    file: 'sdn_advanced.fixture.xml',
    dateOfIssue: '2025-01-02',
    sha256: (await import('node:crypto')).createHash('sha256').update(readFileSync(xmlFixture)).digest('hex'),
    bytes: statSync(xmlFixture).size,
    checkedAt: '2025-01-03T00:00:00.000Z',
  })
  expect(artifact.evm).toEqual(expectedEvm)
  // Non-EVM values are kept as they are (base58 and bech32 are case-sensitive), never in `evm`.
  expect(artifact.other).toEqual([
    { value: 'TFixtureTronAddressXXXXXXXXXXXXXXX', labels: ['USDT'], refs: ['900002'] },
    { value: 'bc1qfixturexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', labels: ['XBT'], refs: ['900002'] },
  ])
  expect(artifact.counts).toEqual({ dcaValues: 6, evmAddresses: 3 })
  // What the facilitator loads.
  const parsed = parseSanctionsArtifact(JSON.stringify(artifact))
  expect(parsed.ok && [...parsed.list.addresses.keys()]).toEqual(expectedEvm.map(({ address }) => address))
})

test('behavior: the CSV fixture (with its comments overflow) converts into the same addresses', async () => {
  const artifact = await convertSdnCsv(join(fixtures, 'sdn.fixture.csv'), {
    dateOfIssue: '2025-01-02',
    comments: join(fixtures, 'sdn_comments.fixture.csv'),
    checkedAt,
  })
  expect(artifact.source.dateOfIssue).toBe('2025-01-02')
  expect(artifact.source.sha256).toMatch(/^[0-9a-f]{64}$/)
  expect(artifact.evm.map(({ address, labels, refs }) => ({ address, labels, refs }))).toEqual(
    expectedEvm.map(({ address, labels, refs }) => ({ address, labels, refs })),
  )
  expect(artifact.evm[1]?.programs).toEqual(['CYBER2'])
  expect(artifact.evm[0]?.programs).toEqual(['CYBER2', 'DPRK3'])
  expect(artifact.other?.map(({ value }) => value)).toEqual([
    'TFixtureTronAddressXXXXXXXXXXXXXXX',
    'bc1qfixturexxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
  ])
})

test('behavior: a truncated file, the old namespace, no address feature type, or no EVM address is refused', async () => {
  const text = readFileSync(xmlFixture, 'utf8')
  const write = (name: string, content: string) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  }
  const cut = text.indexOf('</Feature>') + '</Feature>'.length
  await expect(convertSdnXml(write('truncated.xml', text.slice(0, cut)))).rejects.toThrow()
  const oldNamespace = text.replaceAll(
    'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML',
    'http://www.un.org/sanctions/1.0',
  )
  await expect(convertSdnXml(write('old.xml', oldNamespace))).rejects.toThrow(/namespace/)
  const noTypes = text.replaceAll('Digital Currency Address - ', 'Something Else - ')
  await expect(convertSdnXml(write('no-types.xml', noTypes))).rejects.toThrow(/feature type/)
  const noEvm = text.replace(/>0x[0-9a-fA-F]{40}</g, '>TNotAnEvmAddressXXXXXXXXXXXXXXXXXX<')
  await expect(convertSdnXml(write('no-evm.xml', noEvm))).rejects.toThrow(/no EVM/)
  await expect(convertSdnCsv(write('bad.csv', '1,"only","three"\n'), { dateOfIssue: '2025-01-02' })).rejects.toThrow(
    /12 columns/,
  )
})

/** Writes a synthetic SDN_ADVANCED.XML of at least `minBytes`, in the fixture's shape; answers the EVM addresses in it. */
async function writeLargeXml(path: string, minBytes: number): Promise<string[]> {
  const text = readFileSync(xmlFixture, 'utf8')
  const head = text.slice(0, text.indexOf('<DistinctParties>') + '<DistinctParties>'.length)
  const out = createWriteStream(path)
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await once(out, 'drain')
  }
  await write(head)
  let bytes = head.length
  const addresses: string[] = []
  const filler = `<Comment>${'x'.repeat(700)}</Comment>`
  for (let i = 1; bytes < minBytes; i++) {
    // One party in 500 has an EVM address; the others carry a non-address feature and filler, as most do.
    const address = i % 500 === 0 ? `0x${i.toString(16).padStart(40, '0')}` : undefined
    if (address) addresses.push(address)
    const feature = address
      ? `<Feature ID="${i}" FeatureTypeID="345"><FeatureVersion ID="${i}" ReliabilityID="1"><Comment /><VersionDetail DetailTypeID="1432">${address}</VersionDetail></FeatureVersion></Feature>`
      : `<Feature ID="${i}" FeatureTypeID="14"><FeatureVersion ID="${i}" ReliabilityID="1"><Comment /><VersionDetail DetailTypeID="1432">site-${i}.invalid</VersionDetail></FeatureVersion></Feature>`
    const party = `<DistinctParty FixedRef="${i}">${filler}<Profile ID="${i}" PartySubTypeID="3">${feature}</Profile></DistinctParty>\n`
    bytes += party.length
    await write(party)
  }
  await write(
    '</DistinctParties><ProfileRelationships /><SanctionsEntries></SanctionsEntries><SanctionsEntryLinks /></Sanctions>\n',
  )
  out.end()
  await once(out, 'finish')
  return addresses
}

test('behavior: a synthetic XML over 100 MB converts in bounded memory (peak RSS of the converting process under 200 MB)', async () => {
  const xml = join(dir, 'large.xml')
  const target = join(dir, 'large.json')
  const addresses = await writeLargeXml(xml, 105 * 1024 * 1024)
  const size = statSync(xml).size
  expect(size).toBeGreaterThan(100 * 1024 * 1024)
  // The CLI, as an operator runs it, in its own process: it prints its peak RSS (KiB) on exit.
  const reportRss = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS+'\\n'))`
  const peakOf = (stderr: string) => Number(/maxrss=([0-9]+)/.exec(stderr)?.[1])
  // The same CLI converting the small fixture: the runtime's own footprint (from source, tsx included).
  const small = await run(
    process.execPath,
    ['--import', reportRss, bin, 'sanctions', 'convert', '--xml', xmlFixture, '--out', join(dir, 'small.json')],
    { maxBuffer: 1 << 20 },
  )
  const baselineKib = peakOf(small.stderr)
  const started = Date.now()
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', reportRss, bin, 'sanctions', 'convert', '--xml', xml, '--out', target],
    { maxBuffer: 1 << 20 },
  )
  const seconds = (Date.now() - started) / 1000
  const peakKib = peakOf(stderr)
  const summary = JSON.parse(stdout) as { evmAddresses: number; bytes: number }
  expect(summary).toMatchObject({ evmAddresses: addresses.length, bytes: size })
  const parsed = parseSanctionsArtifact(readFileSync(target, 'utf8'))
  expect(parsed.ok && parsed.list.addresses.has(addresses[addresses.length - 1] as string)).toBe(true)
  console.log(
    `converted ${(size / 2 ** 20).toFixed(1)} MiB in ${seconds.toFixed(1)} s, peak RSS ${(peakKib / 1024).toFixed(1)} MiB` +
      ` (the small fixture: ${(baselineKib / 1024).toFixed(1)} MiB)`,
  )
  expect(baselineKib).toBeGreaterThan(0)
  expect(peakKib / 1024).toBeLessThan(200)
  // Bounded: the 105 MiB file adds little over the runtime's own footprint (it is never held whole).
  expect((peakKib - baselineKib) / 1024).toBeLessThan(96)
}, 180_000)
