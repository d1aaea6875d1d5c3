import { isValidRouteTemplate } from '@x402/extensions/bazaar'
import { expect, test } from 'vitest'
import { isValidRouteTemplate as ours } from './routeTemplate.ts'

test('default: route templates are judged as the official SDK judges them', () => {
  const cases = [
    '/users/:id',
    '/weather/:country/:city',
    '/files/:var1',
    '',
    'users/:id',
    '/users/../admin',
    '/users/%2e%2e/admin',
    '/users/%252e%252e/admin',
    '/x/http://evil.com',
    '/a b',
    '/caf%C3%A9',
    '/%',
    '/%25%25%25%25%25%25%25%2e',
  ]
  for (const value of cases) expect(ours(value), value).toBe(isValidRouteTemplate(value))
  expect(ours(undefined)).toBe(false)
})
