import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { InvalidOptionError, KeydiffError } from '@keydiff/core'
import { parseKeyTemplate, rowMapper, splitKey, templateKeys } from '@keydiff/core/adapter'

test('a template parses into its field paths and the literals around them', () => {
  assert.deepEqual(parseKeyTemplate('{location}/{ schema }/{a.hash}.bin'), {
    template: '{location}/{ schema }/{a.hash}.bin',
    fields: ['location', 'schema', 'a.hash'],
    literals: ['', '/', '/', '.bin']
  })
})

test('a template without a field, or with an empty path segment, is an InvalidOptionError naming the option', () => {
  for (const template of ['no-fields', '{}x', '{a..b}', '{.a}']) {
    assert.throws(() => parseKeyTemplate(template, 'key'), (error: unknown) => error instanceof InvalidOptionError && error.option === 'key', template)
  }
  assert.throws(() => parseKeyTemplate(42 as unknown as string), TypeError)
})

test('templateKeys renders every combination of the fields\' values, and none when a field has none', () => {
  const template = parseKeyTemplate('{type}-{id}')
  assert.deepEqual(templateKeys(template, [['a', 'b'], ['1', '2']]), ['a-1', 'a-2', 'b-1', 'b-2'])
  assert.deepEqual(templateKeys(template, [['a'], []]), [])
})

test('splitKey reads a key back into field values, every way a separator inside a value allows', () => {
  const template = parseKeyTemplate('x/{a}-{b}.y')
  assert.deepEqual(splitKey(template, 'x/1-2.y'), [['1', '2']])
  assert.deepEqual(splitKey(template, 'x/1-2-3.y'), [['1', '2-3'], ['1-2', '3']])
  assert.deepEqual(splitKey(template, 'z/1-2.y'), [])
  assert.deepEqual(splitKey(template, 'x/12.y'), [])
})

test('property: a rendered key splits back into its values among the readings', () => {
  const value = fc.string({ minLength: 0, maxLength: 6 })
  fc.assert(fc.property(fc.constantFrom('{a}/{b}', 'p-{a}-{b}-s', '{a}:{b}:{c}'), fc.array(value, { minLength: 3, maxLength: 3 }), (text, values) => {
    const template = parseKeyTemplate(text)
    const mine = values.slice(0, template.fields.length)
    const [key] = templateKeys(template, mine.map(v => [v]))
    assert.ok(splitKey(template, key as string, 10_000).some(reading => reading.every((part, i) => part === mine[i])))
  }))
})

test('rowMapper renders nested fields and dates, adds the prefix, and fails the source on a missing field', () => {
  assert.equal(rowMapper({}, 'refs'), undefined)
  const map = rowMapper({ template: '{store}/{meta.day}/{hash}', prefix: 'p/' }, 'refs') as (row: Record<string, unknown>) => string
  assert.equal(map({ store: 's1', meta: { day: new Date('2024-01-02T00:00:00Z') }, hash: 7 }), 'p/s1/2024-01-02T00:00:00.000Z/7')
  assert.throws(() => map({ store: 's1', meta: null, hash: 7 }), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_SOURCE_FAILED' && /meta\.day/.test(error.message))
})
