import { describe, expect, test } from 'vitest'
import { checkBazaarExample } from './bazaarExample.ts'

/** A bazaar extension whose query parameters are `queryParams` and whose schema describes them with `properties`. */
const bazaar = (queryParams: unknown, properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  info: { input: { type: 'http', method: 'GET', queryParams } },
  schema: {
    type: 'object',
    properties: {
      input: {
        type: 'object',
        properties: {
          type: { const: 'http' },
          method: { type: 'string' },
          queryParams: { type: 'object', properties, ...extra },
        },
      },
    },
    required: ['input'],
  },
})
const codes = (problems: { code: string }[]) => problems.map((p) => p.code)

describe('checkBazaarExample', () => {
  test('default: a valid example has no problem; a refused one names the path', () => {
    expect(checkBazaarExample(bazaar({ days: 3 }, { days: { type: 'integer' } }))).toEqual([])
    expect(checkBazaarExample(bazaar({ days: 'abc' }, { days: { type: 'integer' } }))).toMatchObject([
      {
        severity: 'error',
        code: 'invalid_example',
        message: expect.stringMatching(/^info does not satisfy the schema: input\.queryParams\.days: /),
      },
    ])
    expect(codes(checkBazaarExample({ info: {} }))).toEqual(['invalid_bazaar'])
    expect(codes(checkBazaarExample({ info: { input: { type: 'mcp' } }, schema: {} }))).toEqual(['invalid_bazaar'])
  })

  test('behavior: a catastrophic pattern is never run (reported as not checked), and finishes at once', () => {
    const started = performance.now()
    const problems = checkBazaarExample(
      bazaar(
        { q: `${'a'.repeat(64)}!` },
        { q: { type: 'string', pattern: '^(a+)+$' } },
        {
          patternProperties: { '^(b+)+$': { type: 'string' } },
          propertyNames: { pattern: '^(([a-z])+.)+[A-Z]([a-z])+$' },
        },
      ),
    )
    // Running it would take 2^64 steps; skipping it takes a few milliseconds (bounded loosely for loaded machines).
    expect(performance.now() - started).toBeLessThan(500)
    expect(problems).toEqual([
      {
        severity: 'warning',
        code: 'pattern_not_checked',
        message:
          "the example is not checked against the schema's regular expressions (doctor never runs a seller's): /properties/input/properties/queryParams/properties/q/pattern, /properties/input/properties/queryParams/patternProperties, /properties/input/properties/queryParams/propertyNames/pattern",
      },
    ])
  })

  test('behavior: only the keywords are removed: a property named pattern is still checked; patternProperties do not turn into refusals', () => {
    expect(codes(checkBazaarExample(bazaar({ pattern: 'x' }, { pattern: { type: 'integer' } })))).toEqual([
      'invalid_example',
    ])
    const open = bazaar(
      { x_1: 'a' },
      {},
      { patternProperties: { '^x_': { type: 'string' } }, additionalProperties: false },
    )
    expect(codes(checkBazaarExample(open))).toEqual(['pattern_not_checked'])
  })

  test('behavior: external $ref and $id are refused; local ones compile', () => {
    const external = bazaar({ a: 1 }, { a: { $ref: 'https://attacker.example/schema.json' } })
    expect(checkBazaarExample(external)).toMatchObject([
      { severity: 'error', code: 'invalid_bazaar', message: expect.stringContaining('external $ref/$id') },
    ])
    const id = { ...bazaar({}, {}), schema: { $id: 'file:///etc/passwd', type: 'object' } }
    expect(codes(checkBazaarExample(id))).toEqual(['invalid_bazaar'])
    const local = bazaar({ a: 'x' }, { a: { $ref: '#/$defs/int' } })
    expect(
      codes(checkBazaarExample({ ...local, schema: { ...local.schema, $defs: { int: { type: 'integer' } } } })),
    ).toEqual(['invalid_example'])
  })

  test('behavior: a schema or example past the limits is not evaluated (recursive, exponential through $refs, too deep)', () => {
    const started = performance.now()
    const recursive = bazaar({ a: 1 }, { a: { anyOf: [{ $ref: '#' }, { $ref: '#' }] } })
    expect(codes(checkBazaarExample(recursive))).toEqual(['schema_not_checked'])
    // Each level's anyOf refers to the next one twice: 2^40 paths from a schema of 120 values.
    const $defs: Record<string, unknown> = { d40: { type: 'integer' } }
    for (let i = 0; i < 40; i++)
      $defs[`d${i}`] = { anyOf: [{ $ref: `#/$defs/d${i + 1}` }, { $ref: `#/$defs/d${i + 1}` }] }
    const exponential = bazaar({ a: 'no' }, { a: { $ref: '#/$defs/d0' } })
    expect(checkBazaarExample({ ...exponential, schema: { ...exponential.schema, $defs } })).toMatchObject([
      { code: 'schema_not_checked', message: expect.stringContaining('expands to more than 5000 subschemas') },
    ])
    let deep: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < 100_000; i++) deep = { not: deep }
    expect(codes(checkBazaarExample(bazaar({ a: 1 }, { a: deep })))).toEqual(['schema_not_checked'])
    let nested: unknown = 1
    for (let i = 0; i < 100_000; i++) nested = [nested]
    expect(codes(checkBazaarExample(bazaar({ a: nested }, { a: {} })))).toEqual(['schema_not_checked'])
    const wide = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`p${i}`, { type: 'string' }]))
    expect(codes(checkBazaarExample(bazaar({}, wide)))).toEqual(['schema_not_checked'])
    // Evaluated, the exponential schema alone would take 2^40 steps.
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
