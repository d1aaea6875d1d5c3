/**
 * Whether a host names a machine that is not on the public internet: loopback, private, link-local,
 * carrier-grade NAT, unspecified, multicast or reserved addresses (IPv4, IPv6, IPv4 inside IPv6),
 * and `localhost`. The doctor refuses to be sent to one by a seller's document unless the operator
 * aimed it at one. Pure string work; {@link isPrivateHost} takes the name resolver as a dependency.
 */

/** The addresses a host name resolves to (e.g. `dns.lookup(name, { all: true })`). */
export type Resolve = (hostname: string) => Promise<readonly string[]>

const v4Ranges: readonly (readonly [base: number, bits: number])[] = [
  [0x00000000, 8], // 0.0.0.0/8 "this network"
  [0x0a000000, 8], // 10.0.0.0/8
  [0x64400000, 10], // 100.64.0.0/10 carrier-grade NAT
  [0x7f000000, 8], // 127.0.0.0/8 loopback
  [0xa9fe0000, 16], // 169.254.0.0/16 link-local (cloud metadata)
  [0xac100000, 12], // 172.16.0.0/12
  [0xc0000000, 24], // 192.0.0.0/24 protocol assignments
  [0xc0a80000, 16], // 192.168.0.0/16
  [0xc6120000, 15], // 198.18.0.0/15 benchmarking
  [0xe0000000, 4], // 224.0.0.0/4 multicast
  [0xf0000000, 4], // 240.0.0.0/4 reserved, and the broadcast address
]

function parseV4(text: string): number | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = value * 256 + Number(part)
  }
  return value
}

const v4IsPrivate = (value: number): boolean =>
  v4Ranges.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)))

/** The eight 16-bit groups of an IPv6 address (`::` expanded, a dotted IPv4 tail read as two groups). */
function parseV6(text: string): number[] | undefined {
  let body = text
  const lastColon = body.lastIndexOf(':')
  if (body.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(body.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    body = `${body.slice(0, lastColon + 1)}${Math.floor(v4 / 0x10000).toString(16)}:${(v4 % 0x10000).toString(16)}`
  }
  const halves = body.split('::')
  if (halves.length > 2) return undefined
  const group = (part: string) => (part === '' ? [] : part.split(':'))
  const head = group(halves[0] ?? '')
  const rest = halves.length === 2 ? group(halves[1] ?? '') : []
  const missing = 8 - head.length - rest.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups: number[] = []
  for (const part of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest]) {
    if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined
    groups.push(Number.parseInt(part, 16))
  }
  return groups
}

function v6IsPrivate(groups: readonly number[]): boolean {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0] = groups
  const embeddedV4 = g * 0x10000 + h
  if (a === 0 && b === 0 && c === 0 && d === 0 && e === 0) {
    if (f === 0 && g === 0 && (h === 0 || h === 1)) return true // :: unspecified, ::1 loopback
    if (f === 0xffff || f === 0) return v4IsPrivate(embeddedV4) // ::ffff:a.b.c.d mapped, ::a.b.c.d compatible
  }
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return v4IsPrivate(embeddedV4) // NAT64
  if (a === 0x2002) return v4IsPrivate(b * 0x10000 + c) // 6to4
  if ((a & 0xfe00) === 0xfc00) return true // fc00::/7 unique local
  if ((a & 0xffc0) === 0xfe80) return true // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true // fec0::/10 site-local (deprecated)
  if ((a & 0xff00) === 0xff00) return true // ff00::/8 multicast
  return false
}

/**
 * Whether `host` (a URL's `hostname`, brackets allowed, or an address a name resolved to) is not a
 * public internet address. A name that is not an IP literal is private only when it is `localhost`
 * or ends in `.localhost`; resolve other names and ask about each address.
 *
 * @example
 * import { isPrivateAddress } from './privateAddress.ts'
 * isPrivateAddress('169.254.169.254') // true
 * isPrivateAddress('[::ffff:10.0.0.1]') // true
 * isPrivateAddress('203.0.113.7') // false
 */
export function isPrivateAddress(host: string): boolean {
  const name = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
  if (name === 'localhost' || name.endsWith('.localhost')) return true
  const v4 = parseV4(name)
  if (v4 !== undefined) return v4IsPrivate(v4)
  if (!name.includes(':')) return false
  const groups = parseV6(name.replace(/%.*$/, ''))
  // Something shaped like IPv6 that does not parse is treated as private: refuse what cannot be classified.
  return groups === undefined ? true : v6IsPrivate(groups)
}

/**
 * Whether `url`'s host is a non-public address, or (with `resolve`) a name that resolves to one. A name
 * that does not resolve counts as public: the request then fails on its own.
 *
 * @example
 * import { lookup } from 'node:dns/promises'
 * import { isPrivateHost } from './privateAddress.ts'
 * const resolve = async (name: string) => (await lookup(name, { all: true })).map((a) => a.address)
 * await isPrivateHost({ resolve }, new URL('http://localtest.me/')) // true: it resolves to 127.0.0.1
 */
export async function isPrivateHost({ resolve }: { resolve?: Resolve | undefined }, url: URL): Promise<boolean> {
  if (isPrivateAddress(url.hostname)) return true
  if (!resolve || /^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[')) return false
  try {
    return (await resolve(url.hostname)).some(isPrivateAddress)
  } catch {
    return false
  }
}
