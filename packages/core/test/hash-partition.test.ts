import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { PartitionRoute, splitPartition, WHOLE_KEY_SPACE } from '../src/engine/hash-partition.ts'

const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 })
const routeArb = fc.integer({ min: 0, max: 10 }).chain(bits => fc.record({
  bits: fc.constant(bits),
  residue: fc.integer({ min: 0, max: 2 ** bits - 1 }),
  expected: fc.constant(undefined)
}))

test('a route adds exactly its partition\'s keys, in order, and rejects exactly those of them the filter rejects', () => {
  fc.assert(fc.property(routeArb, fc.array(fc.tuple(u32, u32, u32, u32), { maxLength: 300 }), fc.constantFrom(2 as const, 4 as const), (partition, keys, stride) => {
    const words = Uint32Array.from(keys.flatMap(key => key.slice(0, stride)))
    const route = new PartitionRoute(partition)
    const inPartition = keys.map((key, i) => ({ key, i })).filter(({ key }) => (key[0] % 2 ** partition.bits) === partition.residue)
    let added: number[] = []
    // The keys' two hash words as the filter is given them, whatever their stride.
    const pairs = (given: Uint32Array, givenStride: number, count: number): number[] => Array.from({ length: count }, (_, j) => [given[givenStride * j] as number, given[givenStride * j + 1] as number]).flat()
    const n = route.add({ addHashes: (given, givenStride, count) => { added = pairs(given, givenStride, count) } }, words, stride, keys.length)
    assert.equal(n, inPartition.length)
    assert.deepEqual(added, inPartition.flatMap(({ key }) => [key[0], key[1]]))
    // A filter that passes the keys whose lower word is even.
    const { rejected, length } = route.reject({
      checkHashes: (given, givenStride, count, out) => { for (let j = 0; j < count; j++) out[j] = ((given[givenStride * j + 1] as number) & 1) === 0 ? 1 : 0 }
    }, words, stride, keys.length)
    assert.deepEqual(Array.from(rejected.subarray(0, length)), inPartition.filter(({ key }) => key[1] % 2 === 1).map(({ i }) => i))
  }))
})

test('the partitions of a split cover their partition once each', () => {
  fc.assert(fc.property(routeArb, fc.integer({ min: 0, max: 3 }), u32, (partition, more, high) => {
    const parts = splitPartition(partition, 2 ** more, 100)
    const owners = parts.filter(part => high % 2 ** part.bits === part.residue)
    assert.equal(owners.length, high % 2 ** partition.bits === partition.residue ? 1 : 0)
    assert.ok(parts.every(part => part.expected === 100 / 2 ** more))
  }))
  assert.deepEqual(splitPartition(WHOLE_KEY_SPACE, 1, undefined), [{ bits: 0, residue: 0, expected: undefined }])
})
