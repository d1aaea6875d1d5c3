/**
 * The doctor's check of a `bazaar` extension's example (`info`) against its JSON Schema (`schema`).
 * Both come from the seller, so the schema is treated as data until it is made harmless: `pattern`
 * and `patternProperties` are removed (a remote regular expression is never compiled or run, so
 * `^(a+)+$` cannot hang the operator's machine; they are reported as not checked), external
 * `$ref`/`$id` are refused, and the schema's size, depth and size with its `$ref`s expanded are
 * bounded (a recursive `$ref` is not evaluated), as are the example's. Only then is it compiled
 * with `z.fromJSONSchema` and run on the example.
 *
 * @see specs/extensions/bazaar.md (Facilitator Behavior)
 */
import * as z from 'zod'

export type BazaarExampleLimits = {
  /** The most JSON values in the schema. Default: 10000. */
  maxSchemaNodes?: number
  /** The most subschemas evaluated, each `$ref` counted as its target again. Default: 5000. */
  maxExpandedSchemas?: number
  /** The most JSON values in the example. Default: 10000. */
  maxExampleNodes?: number
  /** The deepest nesting of the schema or of the example. Default: 64. */
  maxDepth?: number
}

/** `error` when a catalogue would refuse the extension, `warning` for what doctor did not check. */
export type BazaarExampleProblem = {
  severity: 'error' | 'warning'
  code: 'invalid_bazaar' | 'invalid_example' | 'pattern_not_checked' | 'schema_not_checked'
  message: string
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** Keywords whose value is one subschema (`items` may also be a list). */
const oneSchema = new Set([
  'additionalProperties',
  'additionalItems',
  'items',
  'contains',
  'not',
  'propertyNames',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
  'contentSchema',
])
/** Keywords whose value is a list of subschemas. */
const schemaList = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'])
/** Keywords whose value maps names to subschemas (draft-7 `dependencies` may also map to name lists). */
const schemaMap = new Set(['properties', '$defs', 'definitions', 'dependentSchemas', 'dependencies'])
/** Keywords that name another schema: only local ones (`#...`) are allowed. */
const references = new Set(['$ref', '$id', '$dynamicRef', '$recursiveRef'])

const pointerSegment = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1')

type Walk = { nodes: number; tooLarge?: string; external?: string; patterns: string[] }

/** The schema without `pattern`/`patternProperties`, walked within the limits (recursion bounded by `maxDepth`). */
function sanitize(schema: unknown, maxNodes: number, maxDepth: number): { schema: unknown; walk: Walk } {
  const walk: Walk = { nodes: 0, patterns: [] }
  const count = (depth: number, pointer: string): boolean => {
    walk.nodes++
    if (walk.nodes > maxNodes) walk.tooLarge ??= `the schema has more than ${maxNodes} values`
    else if (depth > maxDepth) walk.tooLarge ??= `the schema nests deeper than ${maxDepth} levels (at ${pointer})`
    return walk.tooLarge === undefined
  }
  const data = (value: unknown, depth: number, pointer: string): unknown => {
    if (!count(depth, pointer)) return null
    if (Array.isArray(value)) return value.map((item, i) => data(item, depth + 1, `${pointer}/${i}`))
    if (!isObject(value)) return value
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, data(item, depth + 1, `${pointer}/${pointerSegment(key)}`)]),
    )
  }
  const node = (value: unknown, depth: number, pointer: string): unknown => {
    if (!isObject(value)) return data(value, depth, pointer)
    if (!count(depth, pointer)) return null
    const out: [string, unknown][] = []
    let droppedPatternProperties = false
    for (const [key, item] of Object.entries(value)) {
      const at = `${pointer}/${pointerSegment(key)}`
      if (key === 'pattern' || key === 'patternProperties') {
        walk.patterns.push(at)
        droppedPatternProperties ||= key === 'patternProperties'
      } else if (references.has(key) && !(typeof item === 'string' && item.startsWith('#'))) {
        walk.external ??= at
      } else if (Array.isArray(item) && schemaList.has(key)) {
        out.push([key, item.map((sub, i) => node(sub, depth + 2, `${at}/${i}`))])
      } else if (oneSchema.has(key)) {
        out.push([key, node(item, depth + 1, at)])
      } else if (isObject(item) && schemaMap.has(key)) {
        if (!count(depth + 1, at)) return null
        const entries = Object.entries(item).map(([name, sub]): [string, unknown] => {
          const subAt = `${at}/${pointerSegment(name)}`
          return [name, Array.isArray(sub) ? data(sub, depth + 2, subAt) : node(sub, depth + 2, subAt)]
        })
        out.push([key, Object.fromEntries(entries)])
      } else {
        out.push([key, data(item, depth + 1, at)])
      }
    }
    // Without its patternProperties, `additionalProperties: false` would refuse the keys they allowed.
    const kept = droppedPatternProperties
      ? out.filter(([key, item]) => key !== 'additionalProperties' || item !== false)
      : out
    return Object.fromEntries(kept)
  }
  return { schema: node(schema, 0, ''), walk }
}

/** The subschemas of a (sanitized) schema object. */
function subschemas(schema: Record<string, unknown>): unknown[] {
  const found: unknown[] = []
  for (const [key, item] of Object.entries(schema)) {
    if (Array.isArray(item) && schemaList.has(key)) found.push(...item)
    else if (oneSchema.has(key)) found.push(item)
    else if (isObject(item) && schemaMap.has(key) && key !== '$defs' && key !== 'definitions') {
      found.push(...Object.values(item).filter((sub) => !Array.isArray(sub)))
    }
  }
  return found
}

/** The value at a local `$ref` (`#`, `#/$defs/name`, ...), or `undefined`. */
function resolvePointer(root: unknown, ref: string): unknown {
  let at = root
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (!isObject(at) || !Object.hasOwn(at, key)) return undefined
    at = at[key]
  }
  return at
}

/**
 * How many subschemas an evaluation may visit, each `$ref` counted as its target again (capped just
 * above `max`), or `'recursive'` when a `$ref` reaches itself. Only `$defs` entries that are reached count.
 */
function expandedSize(root: unknown, max: number): number | 'recursive' {
  const sizes = new Map<string, number>()
  const open = new Set<string>()
  const size = (schema: unknown): number | 'recursive' => {
    if (!isObject(schema)) return 1
    if (typeof schema.$ref === 'string') {
      // z.fromJSONSchema reads a $ref instead of its sibling keywords.
      const ref = schema.$ref
      if (open.has(ref)) return 'recursive'
      const known = sizes.get(ref)
      if (known !== undefined) return 1 + known
      open.add(ref)
      const target = size(resolvePointer(root, ref))
      open.delete(ref)
      if (target === 'recursive') return target
      sizes.set(ref, target)
      return 1 + target
    }
    let total = 1
    for (const sub of subschemas(schema)) {
      const each = size(sub)
      if (each === 'recursive') return each
      total = Math.min(total + each, max + 1)
    }
    return total
  }
  return size(root)
}

/** JSON values and nesting of the example, counted without recursion. */
function measure(value: unknown, maxNodes: number, maxDepth: number): string | undefined {
  const stack: [unknown, number][] = [[value, 0]]
  let nodes = 0
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number]
    if (++nodes > maxNodes) return `the example has more than ${maxNodes} values`
    if (depth > maxDepth) return `the example nests deeper than ${maxDepth} levels`
    if (item !== null && typeof item === 'object') {
      for (const child of Object.values(item)) stack.push([child, depth + 1])
    }
  }
  return undefined
}

/**
 * The problems of a `bazaar` extension's example against its schema: an extension without `info` or
 * `schema` (or whose `info.input.type` is not `http`), a schema that is not one or names an external
 * one (errors), an example its schema refuses (`invalid_example`, with the path), and what was not
 * checked: `pattern` keywords, or a schema or example past the limits (warnings). An empty list: valid.
 *
 * @example
 * import { checkBazaarExample } from './bazaarExample.ts'
 * checkBazaarExample({
 *   info: { input: { type: 'http', queryParams: { days: 'abc' } } },
 *   schema: { properties: { input: { properties: { queryParams: { properties: { days: { type: 'integer' } } } } } } },
 * }) // [{ severity: 'error', code: 'invalid_example', message: 'info does not satisfy the schema: input.queryParams.days: …' }]
 */
export function checkBazaarExample(bazaar: unknown, limits: BazaarExampleLimits = {}): BazaarExampleProblem[] {
  const { maxSchemaNodes = 10_000, maxExpandedSchemas = 5_000, maxExampleNodes = 10_000, maxDepth = 64 } = limits
  const problem = (
    severity: BazaarExampleProblem['severity'],
    code: BazaarExampleProblem['code'],
    message: string,
  ) => ({
    severity,
    code,
    message,
  })
  if (!isObject(bazaar) || !isObject(bazaar.info) || !isObject(bazaar.schema)) {
    return [
      problem('error', 'invalid_bazaar', 'the bazaar extension needs an info object and the JSON Schema it satisfies'),
    ]
  }
  if (!isObject(bazaar.info.input) || bazaar.info.input.type !== 'http') {
    return [problem('error', 'invalid_bazaar', 'info.input.type must be "http"')]
  }
  const { schema, walk } = sanitize(bazaar.schema, maxSchemaNodes, maxDepth)
  if (walk.external !== undefined) {
    return [
      problem(
        'error',
        'invalid_bazaar',
        `the schema must not contain external $ref/$id references (at ${walk.external})`,
      ),
    ]
  }
  const found: BazaarExampleProblem[] = []
  if (walk.patterns.length > 0) {
    const shown = walk.patterns.slice(0, 5).join(', ')
    const more = walk.patterns.length > 5 ? ` and ${walk.patterns.length - 5} more` : ''
    found.push(
      problem(
        'warning',
        'pattern_not_checked',
        `the example is not checked against the schema's regular expressions (doctor never runs a seller's): ${shown}${more}`,
      ),
    )
  }
  const expanded = walk.tooLarge === undefined ? expandedSize(schema, maxExpandedSchemas) : 0
  const notChecked =
    walk.tooLarge ??
    (expanded === 'recursive'
      ? 'the schema refers to itself ($ref)'
      : expanded > maxExpandedSchemas
        ? `the schema expands to more than ${maxExpandedSchemas} subschemas through its $refs`
        : measure(bazaar.info, maxExampleNodes, maxDepth))
  if (notChecked !== undefined) {
    return [...found, problem('warning', 'schema_not_checked', `the example is not checked: ${notChecked}`)]
  }
  let parser: z.ZodType
  try {
    parser = z.fromJSONSchema(schema as z.core.JSONSchema.JSONSchema, { registry: z.registry() })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return [...found, problem('error', 'invalid_bazaar', `the schema is not a JSON Schema: ${reason}`)]
  }
  let checked: ReturnType<z.ZodType['safeParse']>
  try {
    checked = parser.safeParse(bazaar.info)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return [...found, problem('warning', 'schema_not_checked', `the example is not checked: ${reason}`)]
  }
  if (!checked.success) {
    const [issue] = checked.error.issues
    const path = issue?.path.map(String).join('.') || '(root)'
    found.unshift(problem('error', 'invalid_example', `info does not satisfy the schema: ${path}: ${issue?.message}`))
  }
  return found
}
