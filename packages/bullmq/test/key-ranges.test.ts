import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { arraySource } from '@keydiff/core'
import { formatRange, hexRanges, inRange, rangesBetween, referencesInRange, sampledRanges } from '../src/index.ts'
import { missingRanges } from '../src/run-manifest.ts'

const key = fc.string({ unit: 'binary', maxLength: 12 })

test('every key lies in exactly one of the hex ranges, for any shard count', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.string({ maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }), fc.array(key), (count, prefix, groups, keys) => {
    const ranges = hexRanges(count, { prefix, groups })
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

test('hex ranges follow a layout of hex directories, so keys of blobs/ab/ spread over the shards past 256', () => {
  const ranges = hexRanges(1024, { prefix: 'blobs/', groups: [2, 2] })
  assert.deepEqual(ranges[1], { after: 'blobs/00/4', upTo: 'blobs/00/8' })
  const counts = new Array<number>(1024).fill(0)
  for (let i = 0; i < 65536; i++) {
    const hex = i.toString(16).padStart(4, '0')
    const at = ranges.findIndex(range => inRange(`blobs/${hex.slice(0, 2)}/${hex.slice(2)}/rest`, range))
    counts[at] = (counts[at] ?? 0) + 1
  }
  assert.ok(counts.every(count => count === 64), 'every shard gets its share')
  // without the layout, three digits put every key of blobs/ab/ into one shard
  const flat = hexRanges(1024, { prefix: 'blobs/' })
  assert.equal(new Set(Array.from({ length: 256 }, (_, i) => flat.findIndex(range => inRange(`blobs/ab/${i.toString(16).padStart(2, '0')}`, range)))).size, 1)
})

test('sampled ranges split at quantiles of the sample and still cover every key', () => {
  fc.assert(fc.property(fc.array(key, { minLength: 1 }), fc.integer({ min: 1, max: 20 }), fc.array(key), (sample, count, keys) => {
    const ranges = sampledRanges(sample, count)
    assert.ok(ranges.length >= 1 && ranges.length <= count)
    for (const k of keys) assert.equal(ranges.filter(range => inRange(k, range)).length, 1)
  }))
})

test('the ranges missing from some parts, with the parts, cover the key space exactly once', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), fc.array(key), (count, keep, keys) => {
    const ranges = hexRanges(count)
    const kept = ranges.filter((_, i) => keep[i] === true)
    const missing = missingRanges(kept)
    for (const k of keys) assert.equal([...kept, ...missing].filter(range => inRange(k, range)).length, 1)
    if (kept.length === 0) assert.deepEqual(missing, [{}])
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
