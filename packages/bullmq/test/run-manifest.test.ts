import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, type PlanCounts } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import { inRange } from '../src/index.ts'
import type { PartDescriptor } from '../src/part-descriptor.ts'
import { mergeParts, missingRanges } from '../src/run-manifest.ts'

const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 1, maxLength: 4 })
const sortedSet = fc.uniqueArray(key, { maxLength: 5 }).map(keys => keys.sort(compareKeys))

function part (range: KeyRange, counts: PlanCounts, referencesCounted?: KeyRange): PartDescriptor {
  return { shard: 0, range, path: 'p', sha256: '', bytes: 0, planId: '', store: null, fence: '', counts, bytesPlanned: { planned: 0, tooYoung: 0 }, prefixes: [], attempt: 1, ...(referencesCounted === undefined ? {} : { referencesCounted }) }
}

/**
 * The parts a run's workers hand back, as plan-shard makes them: each shard's range is cut at
 * its cut points in turn; a part cut by the attempt that split it read the references of the
 * rest of its shard's range (its `referencesCounted`), a part whose retry ended it at the cut
 * an earlier attempt made read its own range's alone. Candidates are counted in a part's range.
 */
function countsIn (range: KeyRange, counted: KeyRange, references: string[], candidates: string[]): PlanCounts {
  return {
    candidates: candidates.filter(k => inRange(k, range)).length,
    references: references.filter(k => inRange(k, counted)).length,
    foreignReferences: references.filter(k => inRange(k, counted) && k.startsWith('a')).length,
    orphans: 0,
    planned: 0,
    tooYoung: 0,
    undated: 0,
    protected: 0
  }
}

function runParts (splits: string[], cuts: string[][], retried: boolean[], references: string[], candidates: string[]): PartDescriptor[] {
  const bounds = [undefined, ...splits, undefined]
  const parts: PartDescriptor[] = []
  let r = 0
  for (let s = 0; s + 1 < bounds.length; s++) {
    const upTo = bounds[s + 1]
    const shard: KeyRange = { after: bounds[s], upTo }
    const within = (cuts[s] ?? []).filter(cut => inRange(cut, shard) && cut !== upTo)
    const points = [bounds[s], ...within, upTo]
    for (let p = 0; p + 1 < points.length; p++) {
      const range: KeyRange = { after: points[p], upTo: points[p + 1] }
      const cutByItsAttempt = p + 2 < points.length && retried[r++ % Math.max(1, retried.length)] !== true
      const counted = cutByItsAttempt ? { after: points[p], upTo } : range
      parts.push(part(range, countsIn(range, counted, references, candidates), cutByItsAttempt ? counted : undefined))
    }
  }
  return parts
}

function assertCountedOnce (merged: PlanCounts, references: string[], candidates: string[]): void {
  assert.equal(merged.references, references.length)
  assert.equal(merged.foreignReferences ?? 0, references.filter(k => k.startsWith('a')).length)
  assert.equal(merged.candidates, candidates.length)
}

test('merged parts count each reference and each candidate once, however shards were split while they ran and retried', () => {
  fc.assert(fc.property(sortedSet, fc.array(sortedSet, { maxLength: 6 }), fc.array(fc.boolean(), { maxLength: 8 }), fc.array(key, { maxLength: 40 }), fc.array(key, { maxLength: 40 }),
    (splits, cuts, retried, references, candidates) => {
      const merged = mergeParts(runParts(splits, cuts, retried, references, candidates)).counts
      assertCountedOnce(merged, references, candidates)
    }), { numRuns: 500 })
})

test('a run resumed after some of its parts failed still counts each reference once: the missing ranges end where counted ranges end', () => {
  fc.assert(fc.property(sortedSet, fc.array(sortedSet, { maxLength: 6 }), fc.array(fc.boolean(), { maxLength: 8 }), fc.array(fc.boolean(), { maxLength: 20 }), fc.array(key, { maxLength: 40 }), fc.array(key, { maxLength: 40 }),
    (splits, cuts, retried, failed, references, candidates) => {
      const kept = runParts(splits, cuts, retried, references, candidates).filter((_, i) => failed[i] !== true)
      const missing = missingRanges(kept)
      const resumed = missing.map(range => part(range, countsIn(range, range, references, candidates)))
      const merged = mergeParts([...kept, ...resumed]).counts
      assertCountedOnce(merged, references, candidates)
    }), { numRuns: 500 })
})

test('a part cut by its own attempt counts the references past its end once, beside the rest of its shard', () => {
  const shard = { after: 'b', upTo: 'f' }
  const counts = (references: number): PlanCounts => ({ candidates: 1, references, orphans: 0, planned: 0, tooYoung: 0, undated: 0, protected: 0 })
  const parts = [
    part({ upTo: 'b' }, counts(2)),
    part({ after: 'b', upTo: 'c' }, counts(9), shard),
    part({ after: 'c', upTo: 'd' }, counts(7), { after: 'c', upTo: 'f' }),
    part({ after: 'd', upTo: 'f' }, counts(4)),
    part({ after: 'f' }, counts(3))
  ]
  assert.equal(mergeParts(parts).counts.references, 2 + 9 + 3)
  assert.equal(mergeParts(parts).counts.candidates, 5)
})
