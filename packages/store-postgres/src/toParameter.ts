/** A value as a `pg` query parameter (internal): bigints as decimal strings, `undefined` as `NULL`. */
export const toParameter = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === 'bigint' ? value.toString() : String(value)
