import { maxDiscoveryBytes, type ResourceDeclaration } from '@tollgate/protocol'
import { byteLength, type Quote } from '../call/quote.ts'

/**
 * An http(s) origin (`https://api.example.com`) as the seller configured it, or `undefined` when the
 * value is not one (a path, a query or another scheme is not an origin).
 */
export function toOrigin(value: unknown): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return undefined
  const url = new URL(value)
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search !== '' || url.hash !== '') return undefined
  if (url.username !== '' || url.password !== '') return undefined
  return url.origin
}

const declarations = new WeakMap<Quote, { discovery: ResourceDeclaration } | Record<string, never>>()

/**
 * What the seller declares about a quote's resource for discovery catalogues (`tollgate.discovery`):
 * its description, MIME type and `bazaar` extension, as its own 402 states them. Nothing for a route
 * that is not discoverable, or whose declaration is larger than a facilitator takes. Built once per quote.
 */
export function declaration(quote: Quote): { discovery: ResourceDeclaration } | Record<string, never> {
  let found = declarations.get(quote)
  if (found === undefined) {
    const bazaar = quote.paymentRequired.extensions?.bazaar
    const { description, mimeType } = quote.paymentRequired.resource
    const discovery: ResourceDeclaration | undefined =
      bazaar !== null && typeof bazaar === 'object'
        ? { description, mimeType, bazaar: bazaar as Record<string, unknown> }
        : undefined
    found = discovery && byteLength(JSON.stringify(discovery)) <= maxDiscoveryBytes ? { discovery } : {}
    declarations.set(quote, found)
  }
  return found
}
