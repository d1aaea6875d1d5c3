/**
 * Values kept as JSON text in Durable Object SQLite, bigints included: SQL bindings refuse bigints and integers
 * past 2^53 lose precision on read (reference/durable-objects.md §1), so a whole entry is one TEXT column and
 * each bigint a tagged decimal string.
 */
const tag = '$bigint'

/** JSON text of `value`, each bigint as `{"$bigint":"<decimal>"}`. */
export function encodeRow(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? { [tag]: v.toString() } : v))
}

/** The value {@link encodeRow} wrote, bigints restored. */
export function decodeRow<T>(text: string): T {
  return JSON.parse(text, (_, v) =>
    v !== null && typeof v === 'object' && typeof v[tag] === 'string' && Object.keys(v).length === 1
      ? BigInt(v[tag])
      : v,
  ) as T
}

/** Seconds as a sortable SQL integer (exact below 2^53, which every timestamp is). */
export const sortKey = (seconds: bigint): number => Number(seconds)
