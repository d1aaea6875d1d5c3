import { describe, expect, test } from 'vitest'
import { terminalText } from './terminalText.ts'

describe('terminalText', () => {
  test('default: C0, DEL, C1 and bidi controls are escaped; the rest is kept', () => {
    const hostile = '\x1b[2J\x1b]0;owned\x07 a\rb\nc\x7f\u009b31m\u202eevil\u2066 é 漢 🙂 \\u{1b}'
    const safe = terminalText(hostile)
    expect(safe).toBe(
      '\\u{1b}[2J\\u{1b}]0;owned\\u{7} a\\u{d}b\\u{a}c\\u{7f}\\u{9b}31m\\u{202e}evil\\u{2066} é 漢 🙂 \\\\u{1b}',
    )
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
    expect(safe).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/)
  })

  test('behavior: long text is cut, with the count of what was left out; lone surrogates are escaped', () => {
    expect(terminalText('x'.repeat(10), { maxLength: 4 })).toBe('xxxx… (6 more characters)')
    expect(terminalText('a\ud800b')).toBe('a\\u{d800}b')
  })
})
