import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { REFERENCE } from '../src/spill/fingerprint-table.ts'
import { addOrdinals, partitionsOf, recordWords, routeRecords, type RecordRoute } from '../src/spill/routed-records.ts'
import { candidateOrdinal } from '../src/spill/records.ts'
import { sharedArena } from '../src/bloom/wasm-arena.ts'
import { splitLines } from '../src/engine/line-chunks.ts'
import { LineHasher } from '../src/engine/line-batch.ts'
import { isHashedReferenceSet, RecordsBatch } from '../src/spill/hashed-batch.ts'
import { spillReferenceSet } from '../src/spill/spill-reference-set.ts'

// A reading thread lays out a batch's spill records by partition; the set that spills them
// copies a run per partition. The runs must be exactly the records that routing each key on
// its own writes to each partition, in the same order.
const fingerprintsArb = fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 200 })

test('routed records are each partition\'s records in batch order, with state, ordinal or both', () => {
  fc.assert(fc.property(fingerprintsArb, fc.constantFrom(32, 31, 28, 24), fc.constantFrom('reference', 'candidate', 'numbered-reference') as fc.Arbitrary<RecordRoute['record']>, fc.nat({ max: 2 ** 40 }), (keys, shift, record, base) => {
    const route: RecordRoute = { shift, record }
    const fingerprints = Uint32Array.from(keys.flat())
    const stride = recordWords(route)
    const words = new Uint32Array(stride * keys.length)
    const starts = new Uint32Array(partitionsOf(route) + 1)
    routeRecords(fingerprints, keys.length, route, words, starts)
    if (record !== 'reference') addOrdinals(words, base)
    const expected: number[][][] = Array.from({ length: partitionsOf(route) }, () => [])
    keys.forEach(([a, b, c, d], i) => {
      const p = shift >= 32 ? 0 : a >>> shift
      const last = record === 'candidate' ? d : ((d & -4) | REFERENCE) >>> 0
      expected[p]?.push(record === 'reference' ? [a, b, c, last] : [a, b, c, last, base + i])
    })
    assert.equal(starts[0], 0)
    assert.equal(starts[partitionsOf(route)], keys.length)
    expected.forEach((want, p) => {
      const got: number[][] = []
      for (let r = starts[p] as number; r < (starts[p + 1] as number); r++) {
        const w = stride * r
        got.push(record === 'reference' ? [...words.subarray(w, w + 4)] : [...words.subarray(w, w + 4), candidateOrdinal(words, w)])
      }
      assert.deepEqual(got, want)
    })
  }))
})

// Lines split in the arena are fingerprinted and routed there, in WebAssembly: the same
// fingerprints and records as hashing the lines and routing them here.
const lineByteArb = fc.constantFrom(0x61, 0x62, 0x2f, 0x30, 0x0d, 0x0a, 0x0a, 0xc3, 0xa9)

test('records routed where the lines were split are those routeRecords makes from their fingerprints', () => {
  fc.assert(fc.property(fc.array(lineByteArb, { maxLength: 6000 }), fc.constantFrom(32, 31, 28, 24, 20), fc.constantFrom('reference', 'candidate', 'numbered-reference') as fc.Arbitrary<RecordRoute['record']>, (bytes, shift, record) => {
    const route: RecordRoute = { shift, record }
    const chunk = splitLines(Buffer.from(bytes), true)
    const n = chunk.length
    // Stale words in the buffers, as a thread's refilled buffers hold.
    const words = new Uint32Array(4 * n + 8).fill(7)
    const records = new Uint32Array(recordWords(route) * n + 8).fill(7)
    const starts = new Uint32Array(partitionsOf(route) + 1).fill(7)
    const lines = { bytes: chunk.bytes, starts: chunk.starts.slice(), ends: chunk.ends.slice(), length: n }
    assert.equal(sharedArena().routeSplitLines(chunk, route, words, records, starts), true)
    const fingerprints = new LineHasher().hash(lines).words
    assert.deepEqual(words.subarray(0, 4 * n), fingerprints.subarray(0, 4 * n))
    const expectedRecords = new Uint32Array(recordWords(route) * n)
    const expectedStarts = new Uint32Array(partitionsOf(route) + 1)
    routeRecords(fingerprints, n, route, expectedRecords, expectedStarts)
    assert.deepEqual(records.subarray(0, recordWords(route) * n), expectedRecords)
    assert.deepEqual(starts, expectedStarts)
    // The arena has been used since: the lines are no longer known to be there.
    assert.equal(sharedArena().routeSplitLines(chunk, route, words, records, starts), n === 0)
  }), { numRuns: 200 })
})

test('ordinals take the base with a carry into their high word, up to 2^53', () => {
  for (const base of [0, 1, 2 ** 32 - 3, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 2 ** 32 - 2, 2 ** 53 - 10]) {
    const route: RecordRoute = { shift: 32, record: 'candidate' }
    const words = new Uint32Array(6 * 5)
    routeRecords(new Uint32Array(4 * 5), 5, route, words, new Uint32Array(2))
    addOrdinals(words, base)
    assert.deepEqual([0, 1, 2, 3, 4].map(i => candidateOrdinal(words, 6 * i)), [0, 1, 2, 3, 4].map(i => base + i))
  }
})

// A batch of records alone (RecordsBatch) has no keys: a set that would want them must fail
// the run, never spill or match words that are not there.
test('a batch of records alone fails any use of its keys or fingerprints, and a set that needs them fails on it', async () => {
  const work = mkdtempSync(join(tmpdir(), 'keydiff-records-alone-'))
  try {
    const candidate: RecordRoute = { shift: 28, record: 'candidate', recordsOnly: 'read-back' }
    const batch = new RecordsBatch(1, { route: candidate, words: new Uint32Array(6), starts: Uint32Array.from([0, ...new Array<number>(16).fill(1)]) })
    assert.throws(() => batch.words, /records alone/)
    assert.throws(() => batch.entry(), /records alone/)
    assert.throws(() => batch.writeKey(), /records alone/)
    // Spilled from the start (16 partitions: shift 28), but told of no files to read its
    // orphans' keys back from: it keeps the candidates' keys, which the batch does not have.
    const spilled = await spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions: 16 })({ memory: 64 * 1024 * 1024, trackMissing: false, estimatedCount: undefined })
    assert.ok(isHashedReferenceSet(spilled))
    try {
      await spilled.seal()
      assert.throws(() => spilled.probeHashed(batch), /records alone/)
    } finally {
      await spilled.close()
    }
    // In memory, the set matches each key's fingerprint.
    const inMemory = await spillReferenceSet({ tmpdir: work })({ memory: 64 * 1024 * 1024, trackMissing: false, estimatedCount: undefined })
    assert.ok(isHashedReferenceSet(inMemory))
    try {
      assert.throws(() => inMemory.addHashed(new RecordsBatch(1, { route: { shift: 32, record: 'reference', recordsOnly: 'always' }, words: new Uint32Array(4), starts: Uint32Array.from([0, 1]) })), /records alone/)
    } finally {
      await inMemory.close()
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
})
