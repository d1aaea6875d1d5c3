import * as z from 'zod'
import { fail, isPlainObject } from '../fail.ts'

/** The part of a Standard Schema (zod ≥ 4.2, valibot, arktype, ...) this package reads. */
export type StandardSchema = {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown, ...rest: never[]) => unknown
    /** Standard JSON Schema: how the schema describes itself (zod ≥ 4.2 has it). */
    readonly jsonSchema?: { readonly input: (options: never) => unknown }
  }
}
type StandardResult =
  | { readonly value: unknown; readonly issues?: undefined }
  | {
      readonly issues: readonly {
        message: string
        path?: readonly (PropertyKey | { key: PropertyKey })[] | undefined
      }[]
    }

/** A JSON Schema (draft 2020-12) object, e.g. `{ type: 'object', properties: { city: { type: 'string' } } }`. */
export type JsonSchema = Record<string, unknown>

/** A schema of a route's input or output: a zod (or any Standard JSON Schema) schema, or a JSON Schema. */
export type Schema = StandardSchema | JsonSchema

/** One way a value fails its schema: the dotted path (`''` for the value itself) and why. */
export type SchemaIssue = { path: string; message: string }

export type SchemaCheck = { ok: true; value: unknown } | { ok: false; issues: SchemaIssue[] }

/** A schema compiled once: its JSON Schema (as published) and its check. */
export type CompiledSchema = {
  json: JsonSchema
  check(value: unknown): SchemaCheck | Promise<SchemaCheck>
}

function isStandard(value: unknown): value is StandardSchema {
  return isPlainObject(value) || typeof value === 'function'
    ? typeof (value as Partial<StandardSchema>)['~standard']?.validate === 'function'
    : false
}

/** Issue paths as `days`, `items.0.name`. */
function dotted(path: readonly (PropertyKey | { key: PropertyKey })[] | undefined): string {
  return (path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)).join('.')
}

/** The JSON Schema without its `$schema` (it is embedded in bigger documents). */
function embeddable(json: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = json
  return rest
}

/**
 * Compiles a route schema: a Standard Schema is described by its own `jsonSchema.input()` and
 * checked by its own `validate`; a JSON Schema is checked with zod's `fromJSONSchema`. Throws a
 * ConfigError naming `field` when neither applies.
 */
export function compileSchema(value: unknown, field: string): CompiledSchema {
  if (isStandard(value)) {
    const standard = value['~standard']
    const describe = (): JsonSchema => {
      try {
        if (!standard.jsonSchema) throw new Error('it has no "~standard.jsonSchema" (use zod 4.2 or later)')
        const describeInput = standard.jsonSchema.input as (options: { target: string }) => JsonSchema
        return embeddable(describeInput({ target: 'draft-2020-12' }))
      } catch (error) {
        fail(field, `cannot be described as JSON Schema: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
    const json = describe()
    const toCheck = (result: StandardResult): SchemaCheck =>
      result.issues
        ? { ok: false, issues: result.issues.map((issue) => ({ path: dotted(issue.path), message: issue.message })) }
        : { ok: true, value: result.value }
    return {
      json,
      check(input) {
        const result = standard.validate(input) as StandardResult | Promise<StandardResult>
        return result instanceof Promise ? result.then(toCheck) : toCheck(result)
      },
    }
  }
  if (!isPlainObject(value)) fail(field, 'must be a zod schema or a JSON Schema object', value)
  const read = (): z.ZodType => {
    try {
      return z.fromJSONSchema(value as z.core.JSONSchema.JSONSchema)
    } catch (error) {
      fail(field, `is not a JSON Schema zod can read: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const parser = read()
  return {
    json: embeddable(value),
    check(input) {
      const result = parser.safeParse(input)
      return result.success
        ? { ok: true, value: result.data }
        : {
            ok: false,
            issues: result.error.issues.map((issue) => ({ path: dotted(issue.path), message: issue.message })),
          }
    },
  }
}

const numeric = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/

function types(property: unknown): readonly unknown[] {
  if (!isPlainObject(property)) return []
  const type = property.type
  return Array.isArray(type) ? type : [type]
}

/**
 * Query and path parameters arrive as strings: each is read as the type its property declares
 * (`integer` and `number` from a numeric literal, `boolean` from `true`/`false`, `array` from every
 * value of a repeated parameter), so `?days=3` meets `{ type: 'integer' }` and `?days=abc` still fails.
 */
export function readParams(json: JsonSchema, raw: Record<string, string[]>): Record<string, unknown> {
  const properties: Record<string, unknown> = isPlainObject(json.properties) ? json.properties : {}
  const out: Record<string, unknown> = {}
  for (const [name, values] of Object.entries(raw)) {
    const declared = types(properties[name])
    if (declared.includes('array')) {
      out[name] = values
      continue
    }
    out[name] = coerce(declared, values[0] as string)
  }
  return out
}

/** An example's parameter values as a request would carry them, then read back as {@link readParams} does. */
export function exampleParams(json: JsonSchema, example: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, string[]> = {}
  for (const [name, value] of Object.entries(example)) {
    raw[name] = Array.isArray(value) ? value.map(String) : [String(value)]
  }
  return readParams(json, raw)
}

function coerce(declared: readonly unknown[], value: string): unknown {
  if ((declared.includes('integer') || declared.includes('number')) && numeric.test(value)) return Number(value)
  if (declared.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true'
  return value
}
