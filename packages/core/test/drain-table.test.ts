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

// A drain settles its partitions in WebAssembly (DrainTable). Whatever the records, the read
// size and the table's growth, its orphans must be those of the rules the JS table keeps: a
// candidate is an orphan when no reference (in any state) and no earlier candidate has its
// fingerprint, and repeats of an orphan are not orphans again; and its missing references
// (numbered ones) those no candidate matched, each fingerprint once.
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
const recordsArb = fc.oneof(
  fc.tuple(fc.array(referenceArb, { maxLength: 120 }), fc.array(fingerprintArb, { maxLength: 200 })),
  fc.tuple(fc.array(fc.tuple(manyFingerprintArb, fc.constant(REFERENCE)), { minLength: 400, maxLength: 1500 }), fc.array(manyFingerprintArb, { maxLength: 1500 })))

test('the WebAssembly drain finds the orphans the rules give, for any records, read size, table size and growth', () => {
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
      const files = { references: refs.part(0), referenceCount: references.length, numbered: false, candidates: cands.part(0), budget, index: 0 }
      drain.drain(files, log)
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

/**
 * The missing references by the rules: a slot takes the state of the first record of its
 * fingerprint (a later MATCHED one passes on MATCHED); a candidate matches a REFERENCE slot or
 * adds an EMITTED one; then, record by record, one whose slot is still REFERENCE is missing,
 * and its slot EMITTED. The places of the missing records, in order.
 */
function expectedMissing (references: Array<readonly [readonly number[], number]>, candidates: Array<readonly number[]>): number[] {
  const slots = new Map<string, number>()
  for (const [words, state] of references) {
    const key = words.join(',')
    if (!slots.has(key)) slots.set(key, state)
    else if (state === MATCHED) slots.set(key, MATCHED)
  }
  for (const words of candidates) {
    const key = words.join(',')
    const state = slots.get(key)
    if (state === undefined) slots.set(key, EMITTED)
    else if (state === REFERENCE) slots.set(key, MATCHED)
  }
  const missing: number[] = []
  references.forEach(([words], i) => {
    const key = words.join(',')
    if (slots.get(key) !== REFERENCE) return
    slots.set(key, EMITTED)
    missing.push(i)
  })
  return missing
}

const ordinalsOf = (log: OrphanLog, dir: WorkDir): number[] => {
  const marks = new OrphanMarks(log.close(), 1 << 16, dir)
  const found: number[] = []
  for (let next = marks.next(0); next >= 0; next = marks.next(next + 1)) found.push(next)
  return found
}

test('numbered references: the drain logs the ordinals of those no candidate matched, once each, beside the orphans', () => {
  fc.assert(fc.property(recordsArb, fc.constantFrom(24, 48, 100, 4096), fc.constantFrom(1 << 30, 160 * 1024), ([references, candidates], readChunk, budget) => {
    const dir = new WorkDir(work)
    try {
      const refs = new PartitionWriter(dir, 'references', 1, 64)
      const cands = new PartitionWriter(dir, 'candidates', 1, 64)
      // Ordinals increasing, spread out, the later half above 2^32: the log keeps all 8 bytes.
      const place = (i: number, count: number): [number, number] => [i * 5 + 2, i >= count / 2 ? 1 : 0]
      references.forEach(([[a, b, c, d], state], i) => refs.append(0, new Uint8Array(new Uint32Array([a, b, c, (d & -4) | state, ...place(i, references.length)]).buffer)))
      candidates.forEach(([a, b, c, d], i) => cands.append(0, new Uint8Array(new Uint32Array([a, b, c, d, ...place(i, candidates.length)]).buffer)))
      refs.close()
      cands.close()
      const orphans = new OrphanLog(dir, 'orphans', 64)
      const missing = new OrphanLog(dir, 'missing', 64)
      const drain = new PartitionDrain(readChunk, 'keys')
      drain.drain({ references: refs.part(0), referenceCount: references.length, numbered: true, candidates: cands.part(0), budget, index: 0 }, orphans, missing)
      const ordinal = (i: number, count: number): number => place(i, count)[1] * 2 ** 32 + place(i, count)[0]
      assert.deepEqual(ordinalsOf(orphans, dir), expectedOrphans(references, candidates).map(i => ordinal(i, candidates.length)))
      assert.deepEqual(ordinalsOf(missing, dir), expectedMissing(references, candidates).map(i => ordinal(i, references.length)))
    } finally {
      dir.remove()
    }
  }), { numRuns: 300 })
})

test('a drain that wants missing keys needs numbered references and a log for them', () => {
  const dir = new WorkDir(work)
  try {
    const refs = new PartitionWriter(dir, 'references', 1, 64)
    refs.close()
    const log = new OrphanLog(dir, 'orphans', 64)
    const files = { references: refs.part(0), referenceCount: 0, numbered: false, candidates: undefined, budget: 1 << 20, index: 0 }
    assert.throws(() => { new PartitionDrain(4096, 'keys').drain(files, log, new OrphanLog(dir, 'missing', 64)) }, /numbered references/)
    assert.throws(() => { new PartitionDrain(4096, 'keys').drain({ ...files, numbered: true }, log) }, /numbered references/)
    log.release()
  } finally {
    dir.remove()
  }
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
    const files = { references: refs.part(0), referenceCount: 1, numbered: false, candidates: cands.part(0), budget: 64 * 1024, index: 3 }
    assert.throws(() => { drain.drain(files, log) }, (error: Error & { code?: string }) => {
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
    drain.drain({ references: refs.part(0), referenceCount: 10, numbered: false, candidates: cands.part(0), budget: 1 << 30, index: 0 }, log)
    const marks = new OrphanMarks(log.close(), 1 << 16, dir)
    const found: number[] = []
    for (let next = marks.next(0); next >= 0; next = marks.next(next + 1)) found.push(next)
    // Each orphan's first sighting: candidate n >= 10 first at place 2n.
    assert.deepEqual(found, Array.from({ length: 2990 }, (_, k) => 2 * (k + 10)))
  } finally {
    dir.remove()
  }
})
