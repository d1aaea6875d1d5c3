import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename } from 'node:path'
import type { SanctionsArtifact } from '@tollgate/facilitator'
import { SaxesParser, type SaxesTagNS } from 'saxes'
import { createArtifactBuilder } from './artifactBuilder.ts'

/** The namespace of `SDN_ADVANCED.XML` since OFAC's 2024 move to the Sanctions List Service. */
export const advancedXmlNamespace =
  'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML'

const labelPrefix = 'Digital Currency Address - '
/** Bounds on what one document may make the converter hold (the real list: 18,367 parties, values under 100 characters). */
const maxTextLength = 65_536
const maxParties = 1_000_000

/**
 * Converts OFAC's `SDN_ADVANCED.XML` into the screening artifact in one streaming pass (bounded memory:
 * the 120 MB file is never held whole). Address feature types are found by their label text (never by
 * a hard-coded ID or ticker list), so a new label counts from the day OFAC adds it. Throws on an
 * unexpected root or namespace, a truncated file, no address feature type, or no EVM address.
 *
 * @example
 * const artifact = await convertSdnXml('SDN_ADVANCED.XML', { checkedAt: new Date() })
 */
export async function convertSdnXml(
  path: string,
  { checkedAt = new Date(), version = '0.1.0' }: { checkedAt?: Date; version?: string } = {},
): Promise<SanctionsArtifact> {
  const builder = createArtifactBuilder(version)
  const hash = createHash('sha256')
  const parser = new SaxesParser({ xmlns: true, position: false })
  const featureTypes = new Map<string, string>() // FeatureType ID -> ticker label
  const date: Record<string, string> = {}
  const partyOfProfile = new Map<string, string>() // Profile ID -> DistinctParty FixedRef
  let sawRoot = false
  let sawAddressTypes = false
  // Where we are, by local name; text is collected only where it matters.
  const stack: string[] = []
  let text = ''
  let collecting = false
  let featureType: string | undefined // of the FeatureType being read
  let party: string | undefined // FixedRef of the DistinctParty being read
  let feature: string | undefined // label of the address Feature being read
  let entryProfile: string | undefined // ProfileID of the SanctionsEntry being read
  let programMeasure = false
  let entryPrograms: string[] = []

  parser.on('opentag', (tag: SaxesTagNS) => {
    const name = tag.local
    const attr = (key: string) => tag.attributes[key]?.value
    if (stack.length === 0) {
      if (name !== 'Sanctions' || tag.uri !== advancedXmlNamespace) {
        throw new Error(`not SDN_ADVANCED.XML: root <${tag.name}> in namespace ${JSON.stringify(tag.uri)}`)
      }
      sawRoot = true
    }
    const parent = stack[stack.length - 1]
    stack.push(name)
    switch (name) {
      case 'Year':
      case 'Month':
      case 'Day':
        if (stack[1] === 'DateOfIssue' && stack.length === 3) collecting = true
        break
      case 'FeatureType':
        if (parent === 'FeatureTypeValues') {
          featureType = attr('ID')
          collecting = true
        }
        break
      case 'DistinctParty':
        party = attr('FixedRef')
        break
      case 'Profile': {
        const id = attr('ID')
        if (id !== undefined && party !== undefined && parent === 'DistinctParty') partyOfProfile.set(id, party)
        if (partyOfProfile.size > maxParties) throw new Error(`more than ${maxParties} parties`)
        break
      }
      case 'Feature':
        if (stack[1] === 'DistinctParties') {
          if (!sawAddressTypes) throw new Error('DistinctParties come before any digital currency address feature type')
          feature = featureTypes.get(attr('FeatureTypeID') ?? '')
        }
        break
      case 'VersionDetail':
        if (feature !== undefined) collecting = true
        break
      case 'SanctionsEntry':
        entryProfile = attr('ProfileID')
        entryPrograms = []
        break
      case 'SanctionsMeasure':
        programMeasure = entryProfile !== undefined && attr('SanctionsTypeID') === '1'
        break
      case 'Comment':
        if (programMeasure && parent === 'SanctionsMeasure') collecting = true
        break
      default:
        break
    }
    if (collecting) text = ''
  })
  parser.on('text', (chunk) => {
    if (!collecting) return
    text += chunk
    // Hostile input: the values read are labels, dates, program tags and addresses, all short.
    if (text.length > maxTextLength) throw new Error(`an element's text is longer than ${maxTextLength} characters`)
  })
  parser.on('closetag', (tag: SaxesTagNS) => {
    const name = tag.local
    stack.pop()
    const value = text.trim()
    const wasCollecting = collecting
    collecting = false
    text = ''
    switch (name) {
      case 'Year':
      case 'Month':
      case 'Day':
        if (wasCollecting) date[name] = value
        break
      case 'FeatureType':
        if (wasCollecting && featureType !== undefined && value.startsWith(labelPrefix)) {
          featureTypes.set(featureType, value.slice(labelPrefix.length).trim())
          sawAddressTypes = true
        }
        featureType = undefined
        break
      case 'VersionDetail':
        if (wasCollecting && feature !== undefined && value !== '' && party !== undefined) {
          builder.add(value, feature, party)
        }
        break
      case 'Feature':
        feature = undefined
        break
      case 'DistinctParty':
        party = undefined
        break
      case 'Comment':
        if (wasCollecting && value !== '') entryPrograms.push(value)
        break
      case 'SanctionsMeasure':
        programMeasure = false
        break
      case 'SanctionsEntry':
        if (entryProfile !== undefined)
          builder.programs(partyOfProfile.get(entryProfile) ?? entryProfile, entryPrograms)
        entryProfile = undefined
        break
      default:
        break
    }
  })
  let bytes = 0
  // Decoded as a stream: a multi-byte character split between two chunks stays whole.
  const decoder = new TextDecoder('utf-8', { fatal: true })
  // 64 KiB reads: small strings for the parser, so the heap stays small (peak RSS ~ the runtime's own).
  const stream = createReadStream(path, { highWaterMark: 1 << 16 })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytes += chunk.length
    hash.update(chunk)
    parser.write(decoder.decode(chunk, { stream: true }))
  }
  parser.write(decoder.decode())
  // Throws on a truncated document (unclosed elements).
  parser.close()
  if (!sawRoot) throw new Error('empty document')
  if (!sawAddressTypes) throw new Error('no "Digital Currency Address - *" feature type in the file')
  const { Year: year, Month: month, Day: dayOf } = date
  if (!year || !month || !dayOf) throw new Error('no DateOfIssue')
  const dateOfIssue = `${year.padStart(4, '0')}-${month.padStart(2, '0')}-${dayOf.padStart(2, '0')}`
  return builder.build({
    publisher: 'OFAC',
    file: basename(path),
    dateOfIssue,
    sha256: hash.digest('hex'),
    bytes,
    checkedAt: checkedAt.toISOString(),
  })
}
