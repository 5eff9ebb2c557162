import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { apply, arraySource, directoryDeleteSink, directorySource, plan } from '@keydiff/core'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { DAY, filesUnder, OLD, planKeys, setLookup, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('property') })
after(async () => { await dir.remove() })

const segment = fc.constantFrom('a', 'b', 'é', '日', 'x y', 'q+1', '🙂')
const key = fc.array(segment, { minLength: 1, maxLength: 3 }).map(parts => parts.join('/'))
// a file and a directory cannot share a name, so keys end in a leaf that no directory uses
const fileKey = fc.tuple(key, fc.nat(9)).map(([path, n]) => `${path}/f${n}`)

test('for random stores and references, apply deletes exactly the plan minus re-check drops, and nothing referenced', async () => {
  let run = 0
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.tuple(fileKey, fc.boolean()), { maxLength: 25, selector: ([k]) => k }),
    fc.func(fc.constantFrom('referenced', 'orphan', 'late')),
    fc.array(fileKey, { maxLength: 5 }),
    async (files, fate, dangling) => {
      const root = join(dir.path, `store-${++run}`)
      await mkdir(root)
      await writeEntries(root, files.map(([k, young]) => ({ key: k, size: 2, lastModified: young ? new Date(Date.now() - 60_000) : OLD })))
      const keys = files.map(([k]) => k)
      const references = keys.filter(k => fate(k) === 'referenced').concat(dangling)
      const late = keys.filter(k => fate(k) === 'late')
      const out = join(dir.path, `plan-${run}.jsonl`)
      await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource(references), out })
      const planned = await planKeys(out)
      const expectedPlan = files.filter(([k, young]) => !young && !references.includes(k)).map(([k]) => k).sort()
      assert.deepEqual(planned, expectedPlan)
      const result = await apply(out, directoryDeleteSink({ root }), { lock: null, recheck: [setLookup('late', late)], retryDelay: 1 })
      const deleted = planned.filter(k => !late.includes(k))
      assert.equal(result.done, deleted.length)
      assert.equal(result.dropped, planned.length - deleted.length)
      assert.deepEqual(await filesUnder(root), keys.filter(k => !deleted.includes(k)).sort())
      for (const k of references) assert.ok(!deleted.includes(k))
    }
  ), { numRuns: 40 })
})

test('the fence: nothing modified after the reference scan start minus the grace is ever planned', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: -5 * DAY, max: DAY })), { maxLength: 40 }),
    fc.integer({ min: 1, max: 3 * DAY }),
    async (candidates, graceMs) => {
      const out = join(dir.path, 'fence-plan.jsonl')
      const now = Date.now()
      const summary = await plan({ ...UNGUARDED, candidates: arraySource(candidates.map(([k, offset]) => ({ key: k, lastModified: new Date(now + offset) }))), references: arraySource([]), out, grace: graceMs })
      const fence = Date.parse(summary.header.fence)
      assert.ok(fence <= now - graceMs + 1000)
      const planned = new Set(await planKeys(out))
      for (const [k, offset] of candidates) if (now + offset > fence) assert.ok(!planned.has(k) || candidates.some(([other, o]) => other === k && now + o <= fence), `${k} is too young`)
    }
  ), { numRuns: 40 })
})
