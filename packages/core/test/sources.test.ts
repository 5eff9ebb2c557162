import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { after, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { arraySource, csvSource, jsonLinesSource, linesSource, KeydiffError, type KeySource, type KeyEntry } from '@keydiff/core'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-sources-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function entries (source: KeySource): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) out.push(...batch)
  return out
}
const keys = async (source: KeySource): Promise<string[]> => (await entries(source)).map(entry => entry.key)

test('lines: CRLF accepted, blank lines skipped, spaces and unicode kept', async () => {
  const path = join(dir, 'crlf.txt')
  await writeFile(path, 'a\r\n\r\n b \r\nc d\n\nÉté/🙂\nlast-no-newline')
  assert.deepEqual(await keys(linesSource(path)), ['a', ' b ', 'c d', 'Été/🙂', 'last-no-newline'])
})

test('lines: gzip is decompressed transparently, recognised by its bytes', async () => {
  const body = Array.from({ length: 50_000 }, (_, i) => `blobs/${i}`).join('\n') + '\n'
  const path = join(dir, 'keys.txt.gz')
  await writeFile(path, gzipSync(body))
  const got = await keys(linesSource(path))
  assert.equal(got.length, 50_000)
  assert.equal(got[49_999], 'blobs/49999')
  const streamed = await keys(linesSource(Readable.from([gzipSync('x\ny\n')])))
  assert.deepEqual(streamed, ['x', 'y'])
})

test('lines: a multi-byte character split across chunks is decoded whole', async () => {
  const chunks = [Buffer.from('ab\n\xC3', 'latin1'), Buffer.from('\xA9t\xC3\xA9\n', 'latin1')]
  assert.deepEqual(await keys(linesSource(Readable.from(chunks))), ['ab', 'été'])
})

test('lines: a missing file fails with KEYDIFF_SOURCE_NOT_FOUND naming the path', async () => {
  const path = join(dir, 'nope.txt')
  await assert.rejects(keys(linesSource(path)), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_SOURCE_NOT_FOUND')
    assert.match(error.message, /nope\.txt/)
    return true
  })
})

test('lines: estimates its count from the file size', async () => {
  const path = join(dir, 'estimate.txt')
  await writeFile(path, Array.from({ length: 10_000 }, (_, i) => `k${String(i).padStart(8, '0')}`).join('\n') + '\n')
  const estimate = linesSource(path).estimatedCount ?? 0
  assert.ok(Math.abs(estimate - 10_000) < 100, `estimate ${estimate}`)
})

test('jsonl: keys from a named (nested) field with size and lastModified', async () => {
  const path = join(dir, 'refs.jsonl')
  await writeFile(path, '{"o":{"k":"a"},"s":3,"t":"2024-01-01T00:00:00Z"}\n\n{"o":{"k":"b c"},"s":0,"t":1700000000000}\r\n')
  const got = await entries(jsonLinesSource(path, { field: 'o.k', sizeField: 's', lastModifiedField: 't' }))
  assert.deepEqual(got.map(entry => [entry.key, entry.size, entry.lastModified?.toISOString()]), [
    ['a', 3, '2024-01-01T00:00:00.000Z'],
    ['b c', 0, '2023-11-14T22:13:20.000Z']
  ])
})

test('jsonl: a bad line fails naming the file and the line number', async () => {
  const path = join(dir, 'bad.jsonl')
  await writeFile(path, '{"k":"a"}\n{"k":"b"}\n{"k": nope}\n')
  await assert.rejects(keys(jsonLinesSource(path, { field: 'k' })), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
    assert.equal((error as unknown as { line: number }).line, 3)
    assert.match(error.message, /bad\.jsonl:3/)
    return true
  })
  const missing = join(dir, 'missing-field.jsonl')
  await writeFile(missing, '{"k":"a"}\n{"other":1}\n')
  await assert.rejects(keys(jsonLinesSource(missing, { field: 'k' })), { code: 'KEYDIFF_PARSE_ERROR', line: 2 })
})

test('csv: RFC 4180 quoting: commas, quotes and newlines inside fields', async () => {
  const path = join(dir, 'refs.csv')
  await writeFile(path, 'id,path,size\r\n1,"a,b",5\r\n2,"say ""hi""",6\r\n3,"multi\nline",7\r\n4,plain,8\r\n')
  const got = await entries(csvSource(path, { column: 'path', sizeColumn: 'size' }))
  assert.deepEqual(got.map(entry => [entry.key, entry.size]), [['a,b', 5], ['say "hi"', 6], ['multi\nline', 7], ['plain', 8]])
  const byIndex = await keys(csvSource(path, { column: 1, header: true }))
  assert.deepEqual(byIndex, ['a,b', 'say "hi"', 'multi\nline', 'plain'])
})

test('csv: an unknown column and a broken quote are parse errors', async () => {
  const path = join(dir, 'cols.csv')
  await writeFile(path, 'a,b\n1,2\n')
  await assert.rejects(keys(csvSource(path, { column: 'c' })), { code: 'KEYDIFF_PARSE_ERROR' })
  const broken = join(dir, 'broken.csv')
  await writeFile(broken, 'k\n"ok"\n"unterminated\n')
  await assert.rejects(keys(csvSource(broken, { column: 'k' })), { code: 'KEYDIFF_PARSE_ERROR' })
})

test('array: batches of the given size, estimate from the length', async () => {
  const source = arraySource(['a', 'b', 'c', { key: 'd', size: 4 }], { batchSize: 3 })
  assert.equal(source.estimatedCount, 4)
  const batches = []
  for await (const batch of source) batches.push(batch.map(entry => entry.key))
  assert.deepEqual(batches, [['a', 'b', 'c'], ['d']])
})
