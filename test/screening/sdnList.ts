/**
 * OFAC `SDN_ADVANCED.XML` documents for the update tests, in the published shape (namespace, reference values,
 * parties, entries) with invented parties: each address is one entity with an `ETH` address feature under program
 * CYBER2. Test-only.
 */
import type { Address } from 'viem'

const namespace = 'https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML'

/** A list of `dateOfIssue` (YYYY-MM-DD) naming `addresses`. */
export function sdnAdvancedXml({
  dateOfIssue,
  addresses,
  xmlns = namespace,
}: {
  dateOfIssue: string
  addresses: readonly Address[]
  /** Default: the namespace of the Sanctions List Service. */
  xmlns?: string
}): string {
  const [year, month, day] = dateOfIssue.split('-').map(Number) as [number, number, number]
  const parties = addresses.map(
    (address, i) => `    <DistinctParty FixedRef="${910_000 + i}">
      <Profile ID="${910_000 + i}" PartySubTypeID="3">
        <Identity ID="${810_000 + i}" FixedRef="${910_000 + i}" Primary="true" False="false" />
        <Feature ID="${510_000 + i}" FeatureTypeID="345">
          <FeatureVersion ID="${410_000 + i}" ReliabilityID="1560">
            <Comment />
            <VersionDetail DetailTypeID="1432">${address}</VersionDetail>
          </FeatureVersion>
        </Feature>
      </Profile>
    </DistinctParty>`,
  )
  const entries = addresses.map(
    (_, i) => `    <SanctionsEntry ID="${910_000 + i}" ProfileID="${910_000 + i}" ListID="1550">
      <SanctionsMeasure ID="${990_000 + i}" SanctionsTypeID="1"><Comment>CYBER2</Comment></SanctionsMeasure>
    </SanctionsEntry>`,
  )
  return `<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<Sanctions xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" Version="3" xmlns="${xmlns}">
  <DateOfIssue CalendarTypeID="1"><Year>${year}</Year><Month>${month}</Month><Day>${day}</Day></DateOfIssue>
  <ReferenceValueSets>
    <DetailTypeValues><DetailType ID="1432">TEXT</DetailType></DetailTypeValues>
    <FeatureTypeValues>
      <FeatureType ID="14" FeatureTypeGroupID="1">Website</FeatureType>
      <FeatureType ID="344" FeatureTypeGroupID="1">Digital Currency Address - XBT</FeatureType>
      <FeatureType ID="345" FeatureTypeGroupID="1">Digital Currency Address - ETH</FeatureType>
    </FeatureTypeValues>
    <ListValues><List ID="1550">SDN List</List></ListValues>
  </ReferenceValueSets>
  <DistinctParties>
${parties.join('\n')}
  </DistinctParties>
  <SanctionsEntries>
${entries.join('\n')}
  </SanctionsEntries>
</Sanctions>
`
}

/** `count` filler addresses (not any party of the tests), distinct per `tag`. */
export const fillers = (count: number, tag: number): Address[] =>
  Array.from({ length: count }, (_, i) => `0x${(tag * 0x10000 + i).toString(16).padStart(40, '0')}` as Address)
