import { describe, expect, test } from 'vitest'
import { isPrivateAddress, isPrivateHost } from './privateAddress.ts'

describe('isPrivateAddress', () => {
  test('default: loopback, private, link-local and the like are private; public addresses are not', () => {
    const privateHosts = [
      '127.0.0.1',
      '127.0.0.2',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      'localhost',
      'api.localhost',
      'LOCALHOST.',
      '[::1]',
      '::',
      '[fc00::1]',
      'fd12:3456::1',
      'fe80::1%eth0',
      '[::ffff:10.0.0.1]',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '2002:c0a8:101::1',
      'ff02::1',
      '1:2:3', // IPv6-shaped but not an address: refused rather than guessed
    ]
    const publicHosts = [
      '8.8.8.8',
      '172.32.0.1',
      '192.169.0.1',
      '203.0.113.7',
      'api.example.com',
      '[2001:db8::1]',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]
    expect(privateHosts.filter((host) => !isPrivateAddress(host))).toEqual([])
    expect(publicHosts.filter((host) => isPrivateAddress(host))).toEqual([])
  })

  test('behavior: a name is private when it resolves to a private address; no resolver, no lookup', async () => {
    const resolve = async (name: string) => (name === 'rebind.example' ? ['203.0.113.7', '127.0.0.1'] : ['203.0.113.7'])
    expect(await isPrivateHost({ resolve }, new URL('http://rebind.example/'))).toBe(true)
    expect(await isPrivateHost({ resolve }, new URL('http://api.example/'))).toBe(false)
    expect(await isPrivateHost({}, new URL('http://rebind.example/'))).toBe(false)
    // URL normalizes the other spellings of an IPv4 address first.
    expect(await isPrivateHost({}, new URL('http://2130706433/'))).toBe(true)
    expect(await isPrivateHost({}, new URL('http://0x7f.1/'))).toBe(true)
    const failing = async () => {
      throw new Error('ENOTFOUND')
    }
    expect(await isPrivateHost({ resolve: failing }, new URL('http://nowhere.example/'))).toBe(false)
  })
})
