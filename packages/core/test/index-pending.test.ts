import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareFingerprints } from '../src/reference-index/fingerprint-sort.ts'
import { PendingFingerprints } from '../src/reference-index/index-writer.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-pending-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const fingerprint = fc.array(fc.nat({ max: 0xffffffff }), { minLength: 4, maxLength: 4 })

function keyOf (words: Uint32Array, i: number): string {
  return Array.from(words.subarray(4 * i, 4 * i + 4)).join(',')
}

test('pending fingerprints reach the runs sorted and distinct, each range from one partition, fresh only on its first write', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fingerprint, { maxLength: 300 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 4, max: 9 }), fc.boolean(), fc.integer({ min: 1, max: 50 }),
    async (list, repeats, capacity, rangeBits, fresh, batch) => {
      const all = [...list, ...list.slice(0, repeats)]
      const words = Uint32Array.from(all.flat())
      const flushes: Array<{ words: Uint32Array, fresh: boolean }> = []
      const pending = new PendingFingerprints({ memory: 1 << 20, rangeBits, tmpdir: work, fresh, capacity }, async (sorted, isFresh) => {
        flushes.push({ words: sorted.slice(), fresh: isFresh })
      })
      for (let from = 0; from < all.length; from += batch) {
        const n = Math.min(batch, all.length - from)
        pending.push(words.subarray(4 * from, 4 * (from + n)), n)
      }
      await pending.flush()
      assert.deepEqual(readdirSync(work), [], 'partition files are removed')
      if (all.length <= capacity) assert.ok(flushes.length <= 1, 'what fits is sorted in memory and written once')
      const seen = new Set<string>()
      const written = new Set<number>()
      for (const flush of flushes) {
        const n = flush.words.length / 4
        assert.ok(n <= capacity, 'a write holds at most the capacity')
        if (!fresh) assert.equal(flush.fresh, false, 'nothing is fresh in an index that held runs')
        const ranges = new Set<number>()
        for (let i = 0; i < n; i++) {
          if (i > 0) assert.equal(compareFingerprints(flush.words, i - 1, flush.words, i), -1, 'sorted and distinct')
          seen.add(keyOf(flush.words, i))
          ranges.add((flush.words[4 * i] as number) >>> (32 - rangeBits))
        }
        // A fresh write replaces a range's run without reading it: only its first may be.
        if (flush.fresh) for (const range of ranges) assert.ok(!written.has(range), `range ${range} written fresh twice`)
        for (const range of ranges) written.add(range)
      }
      assert.deepEqual([...seen].sort(), [...new Set(all.map(words => words.join(',')))].sort())
    }), { numRuns: 150 })
})

test('a failure before the flush leaves no partition files once closed', async () => {
  const pending = new PendingFingerprints({ memory: 1 << 20, rangeBits: 6, tmpdir: work, fresh: true, capacity: 4 }, async () => {})
  pending.push(Uint32Array.from({ length: 4 * 50 }, (_, i) => (i * 2654435761) >>> 0), 50)
  assert.equal(readdirSync(work).length, 1)
  pending.close()
  assert.deepEqual(readdirSync(work), [])
})
