import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { OrphanLog, OrphanMarks, type OrphanSegment } from '../src/spill/orphan-marks.ts'
import { WorkDir } from '../src/spill/work-dir.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-orphan-marks-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

// Ordinals of a partition: increasing, close together or far apart (a run of referenced
// candidates between two orphans), up to 2^40.
const gapArb = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2 ** 40 / 64 }))
const partitionArb = fc.array(gapArb, { maxLength: 30 }).map(gaps => gaps.reduce<number[]>((ordinals, gap) => [...ordinals, (ordinals.at(-1) ?? -1) + gap], []))

test('orphan marks give each logged ordinal once, in order, across logs and partitions, whatever the window and the gaps', () => {
  fc.assert(fc.property(fc.array(fc.array(partitionArb, { maxLength: 4 }), { minLength: 1, maxLength: 3 }), fc.constantFrom(32, 64, 1000, 1 << 16), fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 20 }), (logs, window, skips) => {
    const dir = new WorkDir(work)
    try {
      const segments: OrphanSegment[] = []
      logs.forEach((partitions, l) => {
        const log = new OrphanLog(dir, `orphans-${l}`, 64)
        for (const ordinals of partitions) {
          log.partition()
          for (const ordinal of ordinals) log.add(ordinal)
        }
        segments.push(...log.close())
      })
      const all = [...new Set(logs.flat(2))].sort((a, b) => a - b)
      const marks = new OrphanMarks(segments, window, dir)
      // Asked as a read-back asks: from the last found on, sometimes past a few.
      const found: number[] = []
      const expected: number[] = []
      let from = 0
      for (let i = 0; ; i++) {
        from += skips.length === 0 ? 0 : skips[i % skips.length] as number
        const next = marks.next(from)
        const want = all.find(ordinal => ordinal >= from) ?? -1
        found.push(next)
        expected.push(want)
        if (next < 0) break
        from = next + 1
      }
      assert.deepEqual(found, expected)
    } finally {
      dir.remove()
    }
  }), { numRuns: 300 })
})
