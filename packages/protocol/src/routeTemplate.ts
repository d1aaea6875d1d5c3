const templateCharacters = /^\/[a-zA-Z0-9_/:.\-~%]+$/

/**
 * Whether a catalogue accepts `value` as a `routeTemplate`: the rules every official SDK applies
 * (safe path characters only, starting with `/`, no `..` and no `://`, checked again after
 * percent-decoding up to five times).
 *
 * @see specs/extensions/bazaar.md (routeTemplate Validation Rules)
 */
export function isValidRouteTemplate(value: unknown): value is string {
  if (typeof value !== 'string' || !templateCharacters.test(value)) return false
  let decoded = value
  for (let pass = 0; ; pass++) {
    if (pass === 5) return false
    let next: string
    try {
      next = decodeURIComponent(decoded)
    } catch {
      return false
    }
    if (next === decoded) break
    decoded = next
  }
  return !decoded.includes('..') && !decoded.includes('://')
}

/** Whether the concrete `path` is an instance of `template` (`/users/42` of `/users/:id`). */
export function matchesTemplate(template: string, path: string): boolean {
  const want = template.split('/')
  const have = path.split('/')
  if (want.length !== have.length) return false
  return want.every((part, i) => (part.startsWith(':') ? (have[i] ?? '') !== '' : part === have[i]))
}
