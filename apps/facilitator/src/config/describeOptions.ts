import { type OptionName, options, patternOptions } from './options.ts'

/** An unset value: `undefined`, an empty list, or an empty map (e.g. `TOLLGATE_MIN_AMOUNTS`). */
const isEmpty = (value: unknown) =>
  value === undefined ||
  (Array.isArray(value) && value.length === 0) ||
  (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)

/** A default as it would be written in the variable: lists and `key:value` maps comma-separated. */
function showValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(showValue).join(',')
  if (value !== null && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, item]) => `${key}:${showValue(item)}`)
      .join(',')
  }
  return String(value)
}

/** Each option as `--help` shows it: name, description and the default its schema gives. */
export function describeOptions(): { name: string; description: string; default: string }[] {
  const rows: { name: string; description: string; default: string }[] = []
  for (const [name, option] of Object.entries(options) as [OptionName, (typeof options)[OptionName]][]) {
    const parsed = option.schema.safeParse(undefined)
    let shown: string
    if (!parsed.success) shown = 'required'
    else if (isEmpty(parsed.data)) shown = 'unset' in option && option.unset ? option.unset : 'none'
    else shown = showValue(parsed.data)
    rows.push({ name, description: option.description, default: shown })
  }
  for (const [name, option] of Object.entries(patternOptions))
    rows.push({ name, description: option.description, default: option.default })
  return rows
}
