import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { arraySource } from '@keydiff/core'
import { countedRanges, formatRange, hexRanges, inRange, rangesBetween, referencesInRange, sampledRanges, sampleKeys } from '../src/index.ts'
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

test('the ranges missing from some parts, with the parts, cover the key space exactly once, and none spans a bound', () => {
  fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }), fc.array(key), fc.array(key, { maxLength: 5 }), (count, keep, keys, bounds) => {
    const ranges = hexRanges(count)
    const kept = ranges.filter((_, i) => keep[i] === true)
    // a part whose references were counted to a bound (referencesCounted), the first parts kept
    const parts = kept.map((range, i) => ({ range, ...(bounds[i] === undefined ? {} : { referencesCounted: { ...range, upTo: bounds[i] } }) }))
    const counted = parts.flatMap(part => part.referencesCounted?.upTo ?? [])
    const missing = missingRanges(parts)
    for (const k of keys) assert.equal([...kept, ...missing].filter(range => inRange(k, range)).length, 1)
    for (const bound of counted) for (const range of missing) assert.ok(!(inRange(bound, range) && bound !== range.upTo), `${formatRange(range)} spans ${JSON.stringify(bound)}`)
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

const part = (after: string | undefined, upTo: string | undefined, candidates: number) => ({ range: { ...(after === undefined ? {} : { after }), ...(upTo === undefined ? {} : { upTo }) }, counts: { candidates } })

test('ranges from the previous run\'s per-shard counts cover the key space, cut only where its ranges ended, each with about its share', () => {
  fc.assert(fc.property(fc.uniqueArray(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/'), minLength: 1, maxLength: 5 }), { maxLength: 20 }), fc.array(fc.nat({ max: 1000 }), { minLength: 21, maxLength: 21 }), fc.integer({ min: 1, max: 12 }), fc.array(key),
    (unsorted, sizes, count, keys) => {
      const points = [...unsorted].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      const previous = rangesBetween(points).map((range, i) => ({ range, counts: { candidates: sizes[i] ?? 0 } }))
      const ranges = countedRanges(previous, count)
      assert.ok(ranges.length <= count)
      for (const k of [...keys, ...points]) assert.equal(ranges.filter(range => inRange(k, range)).length, 1, k)
      for (const range of ranges) if (range.upTo !== undefined) assert.ok(points.includes(range.upTo), 'a cut where a previous range ended')
    }))
  // four even parts of 100 become two of 200
  const even = countedRanges([part(undefined, 'b', 100), part('b', 'd', 100), part('d', 'f', 100), part('f', undefined, 100)], 2)
  assert.deepEqual(even, [{ upTo: 'd' }, { after: 'd' }])
  // a skewed run: the big part stays whole, the small ones are joined
  const skewed = countedRanges([part(undefined, 'b', 10), part('b', 'd', 10), part('d', 'f', 900), part('f', 'h', 40), part('h', undefined, 40)], 3)
  assert.deepEqual(skewed.map(formatRange), ['(-, "f"]', '("f", "h"]', '("h", -]'])
})

test('split points from an S3 inventory: a bounded sample of the inventory\'s keys gives shards of about the same size', async () => {
  const { s3InventorySource } = await import('@keydiff/s3')
  const { createHash } = await import('node:crypto')
  const { mkdir, mkdtemp, rm, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { gzipSync } = await import('node:zlib')
  const root = await mkdtemp(join(tmpdir(), 'keydiff-inventory-ranges-'))
  try {
    const keys = Array.from({ length: 2000 }, (_, i) => `blobs/${createHash('sha1').update(String(i)).digest('hex')}`)
    // an inventory lists in no particular order across its files
    const csv = gzipSync(Buffer.from(keys.map(k => `"src","${k}","1","2026-01-01T00:00:00.000Z","e"\n`).join('')))
    await mkdir(join(root, 'data'), { recursive: true })
    await writeFile(join(root, 'data', 'part-0.csv.gz'), csv)
    await writeFile(join(root, 'manifest.json'), JSON.stringify({
      sourceBucket: 'src', destinationBucket: 'arn:aws:s3:::dest', fileFormat: 'CSV', fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag',
      files: [{ key: 'data/part-0.csv.gz', size: csv.length, MD5checksum: createHash('md5').update(csv).digest('hex') }]
    }))
    const sample = await sampleKeys(s3InventorySource({ manifest: join(root, 'manifest.json') }), 1200)
    assert.ok(sample.length > 600 && sample.length <= 1200, `a sample of at most 1,200 keys, got ${sample.length}`)
    assert.equal((await sampleKeys(s3InventorySource({ manifest: join(root, 'manifest.json') }), 5000)).length, 2000, 'a source smaller than the sample is taken whole')
    const ranges = sampledRanges(sample, 8)
    assert.equal(ranges.length, 8)
    const sizes = ranges.map(range => keys.filter(k => inRange(k, range)).length)
    assert.equal(sizes.reduce((a, b) => a + b, 0), 2000)
    assert.ok(sizes.every(size => size >= 150 && size <= 350), sizes.join(','))
  } finally {
    await rm(root, { recursive: true, force: true })
  }
})
