import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { OrphanLog, OrphanMarks } from '../src/spill/orphan-marks.ts'
import { drainTableSize, PartitionDrain } from '../src/spill/partition-drain.ts'
import { DrainTable } from '../src/spill/drain-table.ts'
import { PartitionWriter } from '../src/spill/partition-files.ts'
import { WorkDir } from '../src/spill/work-dir.ts'

// A drain without missing keys settles its partitions in WebAssembly (DrainTable). Whatever
// the records, the read size and the table's growth, its orphans must be those of the rules
// the JS table keeps: a candidate is an orphan when no reference (in any state) and no
// earlier candidate has its fingerprint, and repeats of an orphan are not orphans again.
const work = mkdtempSync(join(tmpdir(), 'keydiff-drain-table-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const REFERENCE = 1
const MATCHED = 2
const EMITTED = 3

// Few distinct fingerprints, so that repeats and matches are common; the words differ in
// the bits the home slot and the comparison use.
const fingerprintArb = fc.integer({ min: 0, max: 60 }).map(n => [n * 2654435761 >>> 0, (n * 40503) >>> 0, n, ((n * 97) << 2) >>> 0] as const)
const referenceArb = fc.tuple(fingerprintArb, fc.constantFrom(REFERENCE, REFERENCE, MATCHED, EMITTED))

/** The orphans by the rules: the places of the candidates that are, in order. */
function expectedOrphans (references: Array<readonly [readonly number[], number]>, candidates: Array<readonly number[]>): number[] {
  const known = new Set(references.map(([words]) => words.join(',')))
  const orphans: number[] = []
  candidates.forEach((words, i) => {
    const key = words.join(',')
    if (known.has(key)) return
    known.add(key)
    orphans.push(i)
  })
  return orphans
}

// Past a few hundred distinct fingerprints a table sized sparse (when the budget allows) is
// larger than one sized dense: both must find the same orphans. A budget of 160 KiB sizes a
// table of up to about a thousand references sparse, one of more dense (then grown by orphans).
const manyFingerprintArb = fc.integer({ min: 0, max: 3000 }).map(n => [n * 2654435761 >>> 0, (n * 40503) >>> 0, n, ((n * 97) << 2) >>> 0] as const)

test('the WebAssembly drain finds the orphans the rules give, for any records, read size, table size and growth', () => {
  const recordsArb = fc.oneof(
    fc.tuple(fc.array(referenceArb, { maxLength: 120 }), fc.array(fingerprintArb, { maxLength: 200 })),
    fc.tuple(fc.array(fc.tuple(manyFingerprintArb, fc.constant(REFERENCE)), { minLength: 400, maxLength: 1500 }), fc.array(manyFingerprintArb, { maxLength: 1500 })))
  fc.assert(fc.property(recordsArb, fc.constantFrom(24, 48, 100, 4096), fc.constantFrom(1 << 30, 160 * 1024), ([references, candidates], readChunk, budget) => {
    const dir = new WorkDir(work)
    try {
      const refs = new PartitionWriter(dir, 'references', 1, 64)
      const cands = new PartitionWriter(dir, 'candidates', 1, 64)
      for (const [[a, b, c, d], state] of references) refs.append(0, new Uint8Array(new Uint32Array([a, b, c, (d & -4) | state]).buffer))
      // Ordinals increasing (as a partition's are), spread out, the later half above 2^32: the log keeps all 8 bytes.
      const high = (i: number): number => i >= candidates.length / 2 ? 1 : 0
      candidates.forEach(([a, b, c, d], i) => cands.append(0, new Uint8Array(new Uint32Array([a, b, c, d, i * 3 + 1, high(i)]).buffer)))
      refs.close()
      cands.close()
      const log = new OrphanLog(dir, 'orphans', 64)
      const drain = new PartitionDrain(readChunk)
      const files = { references: refs.part(0), referenceCount: references.length, referenceKeys: undefined, candidates: cands.part(0), budget, index: 0 }
      for (const part of drain.drain(files, log)) void part
      const marks = new OrphanMarks(log.close(), 1 << 16, dir)
      const found: number[] = []
      for (let next = marks.next(0); next >= 0; next = marks.next(next + 1)) found.push(next)
      const expected = expectedOrphans(references, candidates).map(i => high(i) * 2 ** 32 + i * 3 + 1)
      assert.deepEqual(found, expected)
    } finally {
      dir.remove()
    }
  }), { numRuns: 300 })
})

test('a partition\'s table is sized sparse when a third of its budget holds it, else dense', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: 200 * 1024 * 1024 }), (references, budget) => {
    const size = drainTableSize(references, budget)
    const sparse = 3 * DrainTable.bytesFor(Math.ceil(references * 2.5)) <= budget
    assert.equal(size, sparse ? Math.ceil(references * 2.5) : Math.ceil(references * 1.25))
    // Never larger than the budget allows when the dense size is.
    if (3 * DrainTable.bytesFor(Math.ceil(references * 1.25)) <= budget) assert.ok(3 * DrainTable.bytesFor(size) <= budget)
  }), { numRuns: 500 })
})

test('a partition whose orphans outgrow its share of the budget fails with KEYDIFF_MEMORY_EXCEEDED', () => {
  const dir = new WorkDir(work)
  try {
    const refs = new PartitionWriter(dir, 'references', 1, 64)
    const cands = new PartitionWriter(dir, 'candidates', 1, 4096)
    refs.append(0, new Uint8Array(new Uint32Array([1, 2, 3, (4 << 2) | REFERENCE]).buffer))
    for (let i = 0; i < 5000; i++) cands.append(0, new Uint8Array(new Uint32Array([i * 2654435761 >>> 0, i, i, i << 2, i, 0]).buffer))
    refs.close()
    cands.close()
    const log = new OrphanLog(dir, 'orphans', 64)
    const drain = new PartitionDrain(4096)
    const files = { references: refs.part(0), referenceCount: 1, referenceKeys: undefined, candidates: cands.part(0), budget: 64 * 1024, index: 3 }
    assert.throws(() => [...drain.drain(files, log)], (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_MEMORY_EXCEEDED')
      assert.match(error.message, /spill partition 3 needs more than its 64\.0 KiB share/)
      return true
    })
    log.release()
  } finally {
    dir.remove()
  }
})

test('a table that grows with its orphans, twice over, keeps every reference and finds every orphan once', () => {
  const dir = new WorkDir(work)
  try {
    const refs = new PartitionWriter(dir, 'references', 1, 4096)
    const cands = new PartitionWriter(dir, 'candidates', 1, 4096)
    const fingerprint = (n: number): number[] => [n * 2654435761 >>> 0, n, n * 7, (n * 97) << 2 >>> 0]
    for (let n = 0; n < 10; n++) refs.append(0, new Uint8Array(new Uint32Array([...fingerprint(n).slice(0, 3), (fingerprint(n)[3] as number) | REFERENCE]).buffer))
    // 3000 candidates, each twice: the 10 references, then orphans far past the 819 slots a table sized for 10 holds.
    const order = Array.from({ length: 3000 }, (_, i) => i).flatMap(i => [i, i])
    order.forEach((n, i) => cands.append(0, new Uint8Array(new Uint32Array([...fingerprint(n), i, 0]).buffer)))
    refs.close()
    cands.close()
    const log = new OrphanLog(dir, 'orphans', 4096)
    const drain = new PartitionDrain(4096)
    for (const part of drain.drain({ references: refs.part(0), referenceCount: 10, referenceKeys: undefined, candidates: cands.part(0), budget: 1 << 30, index: 0 }, log)) void part
    const marks = new OrphanMarks(log.close(), 1 << 16, dir)
    const found: number[] = []
    for (let next = marks.next(0); next >= 0; next = marks.next(next + 1)) found.push(next)
    // Each orphan's first sighting: candidate n >= 10 first at place 2n.
    assert.deepEqual(found, Array.from({ length: 2990 }, (_, k) => 2 * (k + 10)))
  } finally {
    dir.remove()
  }
})
