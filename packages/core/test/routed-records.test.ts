import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { REFERENCE } from '../src/spill/fingerprint-table.ts'
import { addOrdinals, partitionsOf, recordWords, routeRecords, type RecordRoute } from '../src/spill/routed-records.ts'
import { candidateOrdinal } from '../src/spill/records.ts'

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
