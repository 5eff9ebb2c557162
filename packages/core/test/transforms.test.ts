import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pipe } from 'it-pipe'
import fc from 'fast-check'
import { addPrefix, arraySource, compareKeys, diff, exclude, filter, map, stripPrefix, union, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

async function keys (source: AsyncIterable<readonly { key: string }[]>): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) out.push(...batch.map(entry => entry.key))
  return out
}

test('transforms compose with it-pipe and keep the source metadata', async () => {
  const rows = arraySource(['repo1/aa', 'repo1/bb', 'repo2/cc', 'repo1/dd.lock'], { name: 'db', sorted: true })
  const piped: KeySource = pipe(
    rows,
    stripPrefix('repo1/', { onMismatch: 'drop' }),
    exclude(['*.lock']),
    addPrefix('blobs/'),
    filter(entry => entry.key !== 'blobs/bb')
  )
  assert.equal(piped.name, 'db')
  assert.equal(piped.sorted, true)
  assert.deepEqual(await keys(piped), ['blobs/aa'])
})

test('a piped reference source feeds diff()', async () => {
  const references = pipe(arraySource(['1', '2']), map(entry => `objects/${entry.key}.bin`))
  const orphans: string[] = []
  for await (const part of diff({ candidates: arraySource(['objects/1.bin', 'objects/3.bin']), references })) orphans.push(...part.entries.map(entry => entry.key))
  assert.deepEqual(orphans, ['objects/3.bin'])
})

test('map: loses the sorted claim unless told the mapping keeps order; refuses to drop', async () => {
  const sorted = arraySource(['a', 'b'], { sorted: true })
  assert.equal(map(entry => entry.key.toUpperCase())(sorted).sorted, false)
  assert.equal(map(entry => `p/${entry.key}`, { preservesOrder: true })(sorted).sorted, true)
  await assert.rejects(keys(map(() => undefined as unknown as string)(sorted)), TypeError)
})

test('stripPrefix: a key without the prefix fails by default (a dropped reference would look orphaned)', async () => {
  const source = arraySource(['s3://b/x', 'gs://b/y'], { name: 'refs' })
  await assert.rejects(keys(stripPrefix('s3://b/')(source)), { code: 'KEYDIFF_PREFIX_MISMATCH' })
  assert.deepEqual(await keys(stripPrefix('s3://b/', { onMismatch: 'drop' })(source)), ['x'])
  assert.deepEqual(await keys(stripPrefix('s3://b/', { onMismatch: 'keep' })(source)), ['x', 'gs://b/y'])
})

test('exclude: protected globs match whole keys, dot files included', async () => {
  const source = arraySource(['data/a.parquet', 'data/_delta_log/0001.json', 'x/.lock', 'x/y.lock', 'manifest.json'])
  assert.deepEqual(await keys(exclude(['**/_delta_log/**', '**/*.lock', '**/.lock', 'manifest.json'])(source)), ['data/a.parquet'])
})

test('union of sorted sources is a sorted merge; of unsorted ones, a concatenation', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 4 }), { maxLength: 30 }), { minLength: 1, maxLength: 5 }), async lists => {
    const sorted = union(...lists.map((list, i) => arraySource([...list].sort(compareKeys), { sorted: true, batchSize: 3, name: `s${i}` })))
    assert.equal(sorted.sorted, true)
    assert.deepEqual(await keys(sorted), lists.flat().sort(compareKeys))
    const unsorted = union(...lists.map(list => arraySource(list, { batchSize: 2 })))
    assert.deepEqual((await keys(unsorted)).sort(compareKeys), lists.flat().sort(compareKeys))
  }), { numRuns: 200 })
})

test('union: its scan start is the earliest of its inputs, and a failing input fails it', async () => {
  const early = keySource([[{ key: 'a' }]], { name: 'early', scanStartedAt: () => new Date('2024-01-01T00:00:00Z') })
  const late = keySource([[{ key: 'b' }]], { name: 'late', scanStartedAt: () => new Date('2024-06-01T00:00:00Z') })
  const both = union(early, late)
  await keys(both)
  assert.equal(both.scanStartedAt?.toISOString(), '2024-01-01T00:00:00.000Z')
  const broken = keySource(async function * () { yield [{ key: 'x' }]; throw new Error('boom') }, { name: 'broken', sorted: true })
  await assert.rejects(keys(union(arraySource(['a'], { sorted: true }), broken)), { code: 'KEYDIFF_SOURCE_FAILED' })
})
