/**
 * Text from someone else (a seller's document, a remote error) made safe to print on a terminal:
 * every control character is written as an escape, so none reaches the terminal as a byte.
 */

export type TerminalTextOptions = {
  /** Longer text is cut, with the number of characters left out. Default: 500 characters. */
  maxLength?: number
}

/**
 * Code points a terminal acts on or that reorder what is shown: C0 controls (ESC, BEL, CR, LF, ...),
 * DEL, C1 controls (CSI U+009B, OSC U+009D, ...), the line and paragraph separators, bidirectional
 * marks, embeddings, overrides and isolates, the byte-order mark, and lone surrogates.
 */
function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x2028 && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff ||
    (code >= 0xd800 && code <= 0xdfff)
  )
}

/**
 * `text` with each unsafe code point written as `\u{..}` and each backslash doubled (so an escape
 * in the output always means a character that was escaped), cut to `maxLength` characters.
 *
 * @example
 * import { terminalText } from './terminalText.ts'
 * terminalText('\x1b[2Jhello\n') // '\\u{1b}[2Jhello\\u{a}'
 */
export function terminalText(text: string, { maxLength = 500 }: TerminalTextOptions = {}): string {
  let out = ''
  let taken = 0
  for (const char of text) {
    if (taken === maxLength) return `${out}… (${[...text].length - taken} more characters)`
    const code = char.codePointAt(0) ?? 0
    out += char === '\\' ? '\\\\' : isUnsafe(code) ? `\\u{${code.toString(16)}}` : char
    taken++
  }
  return out
}
