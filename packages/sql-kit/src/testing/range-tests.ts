import assert from 'node:assert/strict'
import { test } from 'node:test'
import { compareKeys, InvalidOptionError } from '@keydiff/core'
import fc from 'fast-check'
import { keysOf } from './helpers.ts'
import { targetOf, type OpenTarget } from './target.ts'

// Letters of both cases, the separators keys hold, and characters of 2, 3 and 4 UTF-8 bytes:
// where byte order and a collation's order part.
const CHARACTERS = ['a', 'b', 'A', 'B', 'z', '0', '9', '/', '%', ':', '.', '-', '_', ' ', 'é', 'É', 'ß', '日', 'ｱ', '\uFFFD', '😀']
const keyArbitrary = fc.array(fc.constantFrom(...CHARACTERS), { minLength: 1, maxLength: 6 }).map(chars => chars.join(''))
const boundArbitrary = fc.option(keyArbitrary, { nil: undefined })

/** What a byte-order filter of the whole table keeps: core's order, `(after, upTo]`. */
function inRange (key: string, after: string | undefined, upTo: string | undefined): boolean {
  return (after === undefined || compareKeys(key, after) > 0) && (upTo === undefined || compareKeys(key, upTo) <= 0)
}

/**
 * What every SQL reference source does with a key range: the query reads exactly the keys of
 * `(after, upTo]` in byte order (and those `alsoMatching` matches), whatever the strategy.
 */
export function rangeTests (open: OpenTarget): void {
  const target = targetOf(open)

  test('a range reads exactly the keys a byte-order filter of the whole table keeps, for every scan variant (property)', async () => {
    const { factories, client, keyTable, truncate, insert, scanVariants } = target()
    const table = await keyTable([])
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(keyArbitrary, { minLength: 0, maxLength: 40 }),
      fc.array(fc.tuple(boundArbitrary, boundArbitrary), { minLength: 1, maxLength: 4 }),
      async (keys, ranges) => {
        await truncate(table)
        await insert(table, keys)
        // bounds drawn among the stored keys too, where off-by-one errors show
        const bounds = [...ranges, [keys[0], keys[keys.length - 1]] as [string | undefined, string | undefined]]
        for (const [after, upTo] of bounds) {
          const expected = keys.filter(key => inRange(key, after, upTo)).sort()
          for (const variant of scanVariants) {
            const got = await keysOf(factories.references({ client, ...table.spec, column: 'k', ...variant, range: { after, upTo } }))
            assert.deepEqual(got, expected, `range (${String(after)}, ${String(upTo)}] ${JSON.stringify(variant)}`)
          }
        }
      }
    ), { numRuns: 30 })
  })

  test('alsoMatching adds the rows its pattern matches outside the range; an empty range reads only those', async () => {
    const { factories, client, keyTable } = target()
    const keys = ['a/1', 'b/2', 'b%2F3', 's3://bucket/a/1', '/abs/path', 'c/./d', 'c//e', 'C:\\x', 'd/9']
    const table = await keyTable(keys)
    const also = '[%:\\\\]|^/|//|(^|/)\\.\\.?(/|$)'
    const odd = new RegExp(also)
    for (const [after, upTo] of [['a', 'b/9'], ['d', undefined], [undefined, 'a'], ['x', 'x']] as Array<[string | undefined, string | undefined]>) {
      const expected = keys.filter(key => inRange(key, after, upTo) || odd.test(key)).sort()
      assert.deepEqual(await keysOf(factories.references({ client, ...table.spec, column: 'k', range: { after, upTo, alsoMatching: also } })), expected, `(${String(after)}, ${String(upTo)}]`)
    }
  })

  test('a range sorted reads its keys in byte order; a range beside mapRow, or not a string, is refused', async () => {
    const { factories, client, keyTable } = target()
    const table = await keyTable(['b', 'B', 'é', 'a/z', 'a0', 'b/'])
    const got = (await keysOf(factories.references({ client, ...table.spec, column: 'k', sorted: true, range: { after: 'B', upTo: 'é' } })))
    assert.deepEqual(got, ['a/z', 'a0', 'b', 'b/', 'é'])
    assert.throws(() => factories.references({ client, ...table.spec, column: 'k', strategy: 'cursor', mapRow: (row: Record<string, unknown>) => String(row.k), range: { after: 'a' } }),
      (error: unknown) => error instanceof InvalidOptionError && error.option === 'range')
    assert.throws(() => factories.references({ client, ...table.spec, column: 'k', range: { after: 3 } }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'range')
  })
}
