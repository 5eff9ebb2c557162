import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { arraySource } from '@keydiff/core'
import { formatRange, hexRanges, inRange, rangesBetween, referencesInRange, sampledRanges } from '../src/index.ts'

const key = fc.string({ unit: 'binary', maxLength: 12 })

test('every key lies in exactly one of the hex ranges, for any shard count', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.string({ maxLength: 4 }), fc.array(key), (count, prefix, keys) => {
    const ranges = hexRanges(count, { prefix })
    assert.equal(ranges.length, count)
    for (const k of [...keys, prefix, `${prefix}0`, `${prefix}ff`]) assert.equal(ranges.filter(range => inRange(k, range)).length, 1, k)
  }))
})

test('hex ranges split content-addressed keys about evenly', () => {
  const ranges = hexRanges(16, { prefix: 'blobs/' })
  assert.deepEqual(ranges[0], { upTo: 'blobs/1' })
  assert.deepEqual(ranges[15], { after: 'blobs/f' })
  const counts = new Array<number>(16).fill(0)
  for (let i = 0; i < 4096; i++) {
    const k = `blobs/${i.toString(16).padStart(3, '0')}/x`
    const at = ranges.findIndex(range => inRange(k, range))
    counts[at] = (counts[at] ?? 0) + 1
  }
  assert.ok(counts.every(count => count >= 240 && count <= 272), counts.join(','))
})

test('sampled ranges split at quantiles of the sample and still cover every key', () => {
  fc.assert(fc.property(fc.array(key, { minLength: 1 }), fc.integer({ min: 1, max: 20 }), fc.array(key), (sample, count, keys) => {
    const ranges = sampledRanges(sample, count)
    assert.ok(ranges.length >= 1 && ranges.length <= count)
    for (const k of keys) assert.equal(ranges.filter(range => inRange(k, range)).length, 1)
  }))
})

test('split points out of order are refused', () => {
  assert.throws(() => rangesBetween(['b', 'a']), TypeError)
  assert.equal(formatRange({ after: 'a' }), '("a", -]')
})

test('references of a range keep those that may resolve elsewhere (URIs, escapes, paths), so none that matters is lost', async () => {
  const source = arraySource(['a/1', 'm/2', 's3://bucket/m/3', 'z/4', 'm%2F5', '/abs/6', 'x//y', 'q/./r'].map(k => ({ key: k })), { name: 'refs' })
  const kept: string[] = []
  for await (const batch of referencesInRange(source, { after: 'l', upTo: 'n' })) kept.push(...batch.map(entry => entry.key))
  assert.deepEqual(kept, ['m/2', 's3://bucket/m/3', 'm%2F5', '/abs/6', 'x//y', 'q/./r'])
})
