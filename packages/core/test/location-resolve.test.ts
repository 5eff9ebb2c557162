import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  arraySource, InvalidReferenceError, KeydiffError, PrefixMismatchError, referenceResolver, resolveReference, resolveReferences,
  type ResolvedReference
} from '@keydiff/core'

const key = (text: string): ResolvedReference => ({ kind: 'key', key: text })

test('a directory store: every spelling of one file resolves to its key', () => {
  const resolve = referenceResolver('file:///srv/table')
  for (const spelling of [
    'part/f1.parquet',
    './part/f1.parquet',
    'part//f1.parquet',
    'part/./f1.parquet',
    '/srv/table/part/f1.parquet',
    '/srv//table/./part/f1.parquet',
    'file:///srv/table/part/f1.parquet',
    'file:/srv/table/part/f1.parquet',
    'file://localhost/srv/table/part/f1.parquet',
    'FILE:///srv/table/part/f1.parquet',
    'file:///srv/table/part/f1%2Eparquet',
    'dir:/srv/table/part/f1.parquet'
  ]) assert.deepEqual(resolve(spelling), key('part/f1.parquet'), spelling)
})

test('percent-decoding: URIs always, bare keys only when the source says uri', () => {
  const delta = 'abc%20def/%231/file1.txt'
  assert.deepEqual(resolveReference(`file:///srv/t/${delta}`, 'file:///srv/t'), key('abc def/#1/file1.txt'))
  assert.deepEqual(resolveReference(delta, 'file:///srv/t', { decode: 'uri' }), key('abc def/#1/file1.txt'))
  assert.deepEqual(resolveReference(delta, 'file:///srv/t'), key(delta), 'a bare key is taken as written')
  assert.deepEqual(resolveReference(delta, 's3://bucket/'), key(delta))
  assert.deepEqual(resolveReference(delta, 's3://bucket/', { decode: 'uri' }), key('abc def/#1/file1.txt'))
  assert.deepEqual(resolveReference('s3://bucket/a%2Bb+c', 's3://bucket/'), key('a+b+c'), '+ is not a space in a URI')
  assert.deepEqual(resolveReference('s3://bucket/what?x=1#y', 's3://bucket/'), key('what?x=1#y'), '? and # are key characters')
  assert.throws(() => resolveReference('s3://bucket/100%.txt', 's3://bucket/'), (error: unknown) => error instanceof InvalidReferenceError && error.code === 'KEYDIFF_PARSE_ERROR')
  assert.deepEqual(resolveReference('100%.txt', 's3://bucket/'), key('100%.txt'))
})

test('object stores: s3a and s3n are s3, gcs is gs, keys stay opaque', () => {
  assert.deepEqual(resolveReference('s3a://bucket/k', 's3://bucket/'), key('k'))
  assert.deepEqual(resolveReference('s3n://bucket/k', 's3://bucket'), key('k'))
  assert.deepEqual(resolveReference('S3A://bucket/data/x', 's3://bucket/data/'), key('data/x'), 'the path after the authority is the whole object key')
  assert.deepEqual(resolveReference('gcs://b/x/y', 'gs://b/x/'), key('x/y'))
  assert.deepEqual(resolveReference('a//b', 's3://bucket/'), key('a//b'))
  assert.deepEqual(resolveReference('./a/../b', 's3://bucket/'), key('./a/../b'))
  assert.deepEqual(resolveReference('s3://bucket//a', 's3://bucket/'), key('/a'))
  assert.deepEqual(resolveReference('minio://bucket/k', 's3://bucket/', { equalSchemes: { minio: 's3' } }), key('k'))
  assert.deepEqual(resolveReference('s3://bucket.s3.amazonaws.com/k', 's3://bucket/', { equalAuthorities: { 'bucket.s3.amazonaws.com': 'bucket' } }), key('k'))
})

test('a reference without an authority names the store of its scheme (Iceberg: a valid file with no authority matches any); a directory store, which has none, does not match a reference with one', () => {
  assert.deepEqual(resolveReference('hdfs:///dir1/dir2/file1', 'hdfs://servicename/dir1'), key('dir1/dir2/file1'))
  assert.deepEqual(resolveReference('hdfs:/dir1/dir2/file1', 'hdfs://servicename/dir1'), key('dir1/dir2/file1'))
  assert.deepEqual(resolveReference('s3a:///data/k', 's3://bucket/data/'), key('data/k'), 'under the scheme equivalences too')
  assert.deepEqual(resolveReference('file://nas/srv/t/k', 'file:///srv/t'), { kind: 'foreign', store: 'file://nas', conflictKeys: ['file:/nas/srv/t/k', 'k'] }, 'a directory store has no authority: a reference with one names another machine')
  assert.deepEqual(resolveReference('gs:///data/k', 's3://bucket/data/'), { kind: 'foreign', store: 'gs://', conflictKeys: ['data/k'] }, 'another scheme stays foreign')
})

test('another bucket or scheme is foreign; its path under this store is a potential conflict', () => {
  assert.deepEqual(resolveReference('s3://other/data/k', 's3://bucket/data/'), { kind: 'foreign', store: 's3://other', conflictKeys: ['data/k'] })
  assert.deepEqual(resolveReference('gs://bucket/data/k', 's3://bucket/data/'), { kind: 'foreign', store: 'gs://bucket', conflictKeys: ['data/k'] })
  assert.deepEqual(resolveReference('s3://other/logs/k', 's3://bucket/data/'), { kind: 'foreign', store: 's3://other', conflictKeys: [] })
  assert.deepEqual(resolveReference('/data/k', 's3://bucket/data/'), { kind: 'foreign', store: 'file://', conflictKeys: ['data/k'] })
  // a bucket-wide store: a key that looks like a URL is a conflict as written too
  assert.deepEqual(resolveReference('https://cdn.example.com/img.png', 's3://bucket/'), { kind: 'foreign', store: 'https://cdn.example.com', conflictKeys: ['https://cdn.example.com/img.png', 'img.png'] })
  // a directory store: a file outside the root is foreign, and no conflict
  assert.deepEqual(resolveReference('/srv/other/k', 'file:///srv/t'), { kind: 'foreign', store: 'file://', conflictKeys: [] })
  assert.deepEqual(resolveReference('file://nas/srv/t/k', 'file:///srv/t'), { kind: 'foreign', store: 'file://nas', conflictKeys: ['file:/nas/srv/t/k', 'k'] })
  assert.deepEqual(resolveReference('hdfs://nn/srv/t/a//k', 'file:///srv/t'), { kind: 'foreign', store: 'hdfs://nn', conflictKeys: ['hdfs:/nn/srv/t/a/k', 'a/k'] })
})

test('.. is refused on a directory store, naming the reference', () => {
  for (const spelling of ['../etc/passwd', 'a/../b', 'a/..', '..', '/srv/t/../t/a', 'file:///srv/t/a/%2E%2E/b']) {
    assert.throws(() => resolveReference(spelling, 'file:///srv/t'), (error: unknown) => {
      assert.ok(error instanceof InvalidReferenceError)
      assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
      assert.equal(error.reference, spelling)
      assert.ok(error.message.includes(JSON.stringify(spelling)))
      return true
    }, spelling)
  }
  assert.deepEqual(resolveReference('a/..b/c.', 'file:///srv/t'), key('a/..b/c.'), 'only a whole .. segment climbs')
  assert.deepEqual(resolveReference('.hidden/x', 'file:///srv/t'), key('.hidden/x'))
})

test('resolveReferences: batches in, batches out, counts, source metadata kept', async () => {
  const source = arraySource(['s3a://bucket/a', 'b', 's3://other/b', 's3://other/zz/q', 'gs://bucket/c', 'b'], { name: 'db', sorted: true, batchSize: 2 })
  const resolved = resolveReferences({ store: 's3://bucket/' })(source)
  assert.equal(resolved.name, 'db')
  assert.equal(resolved.sorted, false, 'resolution may reorder keys')
  const batches: string[][] = []
  for await (const batch of resolved) batches.push(batch.map(entry => entry.key))
  assert.deepEqual(batches, [['a', 'b'], ['b']])
  assert.equal(resolved.resolution.resolved, 3)
  assert.equal(resolved.resolution.foreign, 3)
  assert.equal(resolved.resolution.conflicting, 3)
  assert.deepEqual([...resolved.resolution.conflictKeys], [
    ['s3://other/b', 's3://other/b'], ['b', 's3://other/b'], ['s3://other/zz/q', 's3://other/zz/q'], ['zz/q', 's3://other/zz/q'],
    ['gs://bucket/c', 'gs://bucket/c'], ['c', 'gs://bucket/c']
  ])
  assert.deepEqual(resolved.resolution.foreignExamples, ['s3://other/b', 's3://other/zz/q', 'gs://bucket/c'])
  // read again, it counts again from zero
  for await (const _ of resolved) { /* drain */ }
  assert.equal(resolved.resolution.resolved, 3)
})

test('resolveReferences: a bad reference fails the source, naming it', async () => {
  const resolved = resolveReferences({ store: 'file:///srv/t' })(arraySource(['a', 'b/../../etc/passwd'], { name: 'refs.txt' }))
  await assert.rejects(async () => { for await (const _ of resolved) { /* drain */ } }, (error: unknown) => {
    assert.ok(error instanceof InvalidReferenceError)
    assert.equal(error.source, 'refs.txt')
    assert.match(error.message, /refs\.txt: reference "b\/\.\.\/\.\.\/etc\/passwd"/)
    return true
  })
})

test('resolveReferences: past the cap of conflict keys, the source fails with KEYDIFF_PREFIX_MISMATCH', async () => {
  const references = Array.from({ length: 10 }, (_, i) => `s3://other/data/${i}`)
  const capped = resolveReferences({ store: 's3://bucket/data/', maxConflictKeys: 4 })(arraySource(references, { name: 'rows' }))
  await assert.rejects(async () => { for await (const _ of capped) { /* drain */ } }, (error: unknown) => {
    assert.ok(error instanceof PrefixMismatchError)
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_PREFIX_MISMATCH')
    assert.match(error.message, /^\[keydiff\] rows: 5 references so far name more than 4 keys of s3:\/\/bucket\/data\//)
    assert.equal(error.count, 5)
    return true
  })
  // when conflicts are not wanted (prefixMismatch 'delete'), nothing is kept and there is no cap
  const counted = resolveReferences({ store: 's3://bucket/data/', maxConflictKeys: 4, keepConflictKeys: false })(arraySource(references))
  for await (const _ of counted) { /* drain */ }
  assert.equal(counted.resolution.foreign, 10)
  assert.equal(counted.resolution.conflicting, 10)
  assert.equal(counted.resolution.conflictKeys.size, 0)
})
