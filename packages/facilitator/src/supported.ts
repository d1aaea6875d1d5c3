import { type SupportedKind, type SupportedResponse, toV1Name } from '@tollgate/protocol'
import type { Facilitator } from './createFacilitator.ts'

/**
 * `GET /supported`: a v2 `exact` kind per enabled CAIP-2 network, a v1 kind for each of those
 * networks' v1 names, no extensions, and the settlement signers under `eip155:*`. The official v2
 * middleware refuses to start unless its routes' kinds are listed here.
 *
 * @example
 * import { supported } from '@tollgate/facilitator'
 * app.get('/supported', (c) => c.json(supported(facilitator)))
 * @see x402-protocol reference §3.2
 */
export function supported(facilitator: Facilitator): SupportedResponse {
  const networks = [...facilitator.networks.values()]
  const kinds: SupportedKind[] = networks.map(({ network }) => ({ x402Version: 2, scheme: 'exact', network }))
  for (const { network } of networks) {
    const name = toV1Name(network)
    if (name) kinds.push({ x402Version: 1, scheme: 'exact', network: name })
  }
  const signers = [...new Set(networks.flatMap(({ settler }) => settler.addresses))]
  return { kinds, extensions: [], signers: { 'eip155:*': signers } }
}
