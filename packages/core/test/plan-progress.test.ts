import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { arraySource, plan, type PlanProgress } from '@keydiff/core'
import { tempDirectory } from './store-fixture.ts'
import { OLD, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('plan-progress') })
after(async () => { await dir.remove() })

for (const mode of ['exact', 'bloom'] as const) {
  test(`${mode}: plan reports the diff with the engine's live figures, then the plan phase, with the planned count growing to the total`, async () => {
    const candidates = Array.from({ length: 5000 }, (_, i) => ({ key: `k/${String(i).padStart(5, '0')}`, size: 1, lastModified: OLD }))
    const references = candidates.filter((_, i) => i % 4 !== 0).map(entry => entry.key)
    const seen: Array<{ phase: string, engine: string, planned: number, candidates: number }> = []
    let live: Readonly<PlanProgress> | undefined
    const summary = await plan({
      ...UNGUARDED,
      candidates: arraySource(candidates, { batchSize: 500 }),
      references: arraySource(references),
      out: join(dir.path, `${mode}.plan.jsonl`),
      diff: { mode },
      onProgress: progress => {
        live ??= progress
        assert.equal(progress, live, 'one live object for the whole plan')
        seen.push({ phase: progress.phase, engine: progress.diff.phase, planned: progress.planned, candidates: progress.diff.candidates.count })
      }
    })
    assert.ok(seen.length >= 3, `a start, some batches and the plan phase, got ${seen.length}`)
    assert.equal(seen[0]?.phase, 'diff')
    assert.equal(seen[0]?.planned, 0)
    assert.equal(seen.at(-1)?.phase, 'plan')
    const firstPlan = seen.findIndex(event => event.phase === 'plan')
    assert.ok(seen.slice(firstPlan).every(event => event.phase === 'plan'), 'the plan phase comes last and stays')
    for (let i = 1; i < seen.length; i++) assert.ok((seen[i]?.planned ?? 0) >= (seen[i - 1]?.planned ?? 0), 'planned never goes down')
    assert.equal(seen.at(-1)?.planned, summary.header.counts.planned)
    if (mode === 'exact') assert.equal(summary.header.counts.planned, 1250)
    else assert.ok(summary.header.counts.planned <= 1250 && summary.header.counts.planned >= 1200, `bloom mode misses at most its false-positive share, planned ${summary.header.counts.planned}`)
    assert.equal(seen.at(-1)?.candidates, 5000, 'the engine figures are live: every candidate was read by the plan phase')
  })
}
