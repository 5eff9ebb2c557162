import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { arraySource, formatPlanSummary, plan } from '@keydiff/core'
import fc from 'fast-check'
import { tempDirectory } from './store-fixture.ts'
import { OLD, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('plan-summary-table') })
after(async () => { await dir.remove() })

/** The table's lines: from the title row to the total. */
function tableOf (text: string): string[] {
  const lines = text.split('\n')
  const first = lines.findIndex(line => line.startsWith('prefix'))
  const last = lines.findIndex(line => line.startsWith('total'))
  assert.ok(first >= 0 && last > first, text)
  return lines.slice(first, last + 1)
}

let counter = 0
const segment = fc.string({ unit: fc.constantFrom('a', 'b', '\u001b', '\u0007', '\n', '\t', '\u009b', '\u007f', 'é', ' '), minLength: 1, maxLength: 5 })

test('the prefix table lines up whatever control characters the prefixes hold, and shows them escaped', async () => {
  await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.tuple(segment, segment).map(([a, b]) => `${a}/${b}`), { minLength: 1, maxLength: 12 }), async keys => {
    const summary = await plan({
      ...UNGUARDED,
      candidates: arraySource(keys.map(key => ({ key, size: 10, lastModified: OLD }))),
      references: arraySource([]),
      out: join(dir.path, `plan-${++counter}.jsonl`)
    })
    const table = tableOf(formatPlanSummary(summary))
    assert.equal(table.length, summary.prefixes.length + 4, 'a row a prefix, the titles, two rules and the total: no prefix broke a row')
    const width = table[0]?.length
    for (const line of table) {
      assert.equal(line.length, width, `every row as wide as the titles: ${JSON.stringify(table)}`)
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/)
    }
    for (const total of summary.prefixes) {
      const escaped = total.prefix.replace(/[\u0000-\u001f\u007f-\u009f]/g, char => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
      assert.ok(table.some(line => line.startsWith(`${escaped} `)), `${JSON.stringify(total.prefix)} shown as ${escaped}`)
    }
  }), { numRuns: 40 })
})
