import { describe, expect, test } from 'vitest'
import { createCloserStack, startWithClosers } from './createCloserStack.ts'

describe('createCloserStack', () => {
  test('unwinds last opened first, once, and runs every closer although one fails', async () => {
    const closed: string[] = []
    const closers = createCloserStack()
    closers.defer(() => closed.push('store'))
    closers.defer(() => {
      throw new Error('keys')
    })
    closers.defer(async () => closed.push('server'))
    await expect(closers.unwind()).rejects.toThrow('keys')
    await expect(closers.unwind()).rejects.toThrow('keys')
    expect(closed).toEqual(['server', 'store'])
  })

  test('startWithClosers: a failed start closes what it opened and rethrows its own error', async () => {
    const closed: string[] = []
    await expect(
      startWithClosers(async (closers) => {
        closers.defer(() => closed.push('store'))
        closers.defer(() => Promise.reject(new Error('close failed')))
        throw new Error('EADDRINUSE')
      }),
    ).rejects.toThrow('EADDRINUSE')
    expect(closed).toEqual(['store'])
  })
})
