import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { REFERENCE } from '../src/spill/fingerprint-table.ts'
import { addOrdinals, partitionsOf, recordWords, routeRecords, type RecordRoute } from '../src/spill/routed-records.ts'
import { candidateOrdinal } from '../src/spill/records.ts'
import { sharedArena } from '../src/bloom/wasm-arena.ts'
import { splitLines } from '../src/engine/line-chunks.ts'
import { LineHasher } from '../src/engine/line-batch.ts'

// A reading thread lays out a batch's spill records by partition; the set that spills them
// copies a run per partition. The runs must be exactly the records that routing each key on
// its own writes to each partition, in the same order.
const fingerprintsArb = fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })), { maxLength: 200 })

test('routed records are each partition\'s records in batch order, with state or ordinal', () => {
  fc.assert(fc.property(fingerprintsArb, fc.constantFrom(32, 31, 28, 24), fc.constantFrom('reference', 'candidate') as fc.Arbitrary<RecordRoute['record']>, fc.nat({ max: 2 ** 40 }), (keys, shift, record, base) => {
    const route: RecordRoute = { shift, record }
    const fingerprints = Uint32Array.from(keys.flat())
    const stride = recordWords(route)
    const words = new Uint32Array(stride * keys.length)
    const starts = new Uint32Array(partitionsOf(route) + 1)
    routeRecords(fingerprints, keys.length, route, words, starts)
    if (record === 'candidate') addOrdinals(words, base)
    const expected: number[][][] = Array.from({ length: partitionsOf(route) }, () => [])
    keys.forEach(([a, b, c, d], i) => {
      const p = shift >= 32 ? 0 : a >>> shift
      expected[p]?.push(record === 'reference' ? [a, b, c, ((d & -4) | REFERENCE) >>> 0] : [a, b, c, d, base + i])
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
  fc.assert(fc.property(fc.array(lineByteArb, { maxLength: 6000 }), fc.constantFrom(32, 31, 28, 24, 20), fc.constantFrom('reference', 'candidate') as fc.Arbitrary<RecordRoute['record']>, (bytes, shift, record) => {
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
