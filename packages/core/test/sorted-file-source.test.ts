import assert from 'node:assert/strict'
import { appendFile, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { compareKeys, KeydiffError, linesSource, NotSortedError, sortedFileSource, jsonLinesSource, type KeySource, type SortedFileOrderError } from '@keydiff/core'

let dir: string
let files = 0
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-sorted-file-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out
}

async function file (text: string | Buffer): Promise<string> {
  const path = join(dir, `f${files++}.txt`)
  await writeFile(path, text)
  return path
}

const inRange = (key: string, range: { after?: string | undefined, upTo?: string | undefined }): boolean =>
  (range.after === undefined || compareKeys(key, range.after) > 0) && (range.upTo === undefined || compareKeys(key, range.upTo) <= 0)

// ASCII, two- and three-byte characters, a private-use character that sorts below astral ones
// in UTF-8 but above them in UTF-16, an astral character, and CR inside a key
const unit = fc.constantFrom('a', 'b', 'z', '/', ' ', '.', 'é', 'ÿ', '中', '\uE000', '😀', '\r')
const key = fc.array(unit, { minLength: 1, maxLength: 6 }).map(units => units.join('')).filter(text => !text.endsWith('\r'))
const bound = fc.option(fc.oneof(key, fc.constant('')), { nil: undefined })

interface Shape { keys: string[], crlf: boolean, finalNewline: boolean, blanks: number[] }

const shape: fc.Arbitrary<Shape> = fc.record({
  keys: fc.array(key, { maxLength: 60 }).chain(pool => fc.array(pool.length === 0 ? key : fc.oneof(fc.constantFrom(...pool), key), { maxLength: 80 })),
  crlf: fc.boolean(),
  finalNewline: fc.boolean(),
  blanks: fc.array(fc.nat(80), { maxLength: 4 })
}).map(value => ({ ...value, keys: [...value.keys].sort(compareKeys) }))

function linesText ({ keys, crlf, finalNewline, blanks }: Shape): string {
  const end = crlf ? '\r\n' : '\n'
  const lines: string[] = []
  keys.forEach((entry, i) => {
    for (const at of blanks) if (at === i) lines.push('')
    lines.push(entry)
  })
  const text = lines.join(end)
  return lines.length === 0 ? '' : finalNewline ? text + end : text
}

test('property: a range read of a sorted lines file is the whole file filtered to the range', async () => {
  await fc.assert(fc.asyncProperty(shape, bound, bound, async (value, lower, upper) => {
    const path = await file(linesText(value))
    const range = { after: lower, upTo: upper }
    const whole = await keys(linesSource(path))
    assert.deepEqual(whole, value.keys)
    const source = sortedFileSource(path, { range })
    assert.deepEqual(await keys(source), whole.filter(entry => inRange(entry, range)))
    const read = source.byteRange
    assert.ok(read !== undefined)
    assert.equal(read.size, (await stat(path)).size)
    assert.ok(read.start <= read.end || read.keys === 0)
  }), { numRuns: 150 })
})

test('property: shards of adjacent ranges read byte ranges that meet, and together every key once', async () => {
  await fc.assert(fc.asyncProperty(shape, fc.array(key, { maxLength: 5 }), async (value, cuts) => {
    const path = await file(linesText(value))
    const points = [...new Set(cuts)].sort(compareKeys)
    const ranges = [undefined, ...points].map((after, i) => ({ after, upTo: points[i] }))
    const read: string[] = []
    let end = 0
    for (const [i, range] of ranges.entries()) {
      const source = sortedFileSource(path, { range })
      read.push(...await keys(source))
      const bytes = source.byteRange
      assert.ok(bytes !== undefined)
      if (i === 0) assert.equal(bytes.start, 0)
      // a shard starts where the one before stopped, or at a blank line just before it
      if (value.blanks.length === 0) assert.equal(bytes.start, end)
      else assert.ok(bytes.start <= end)
      end = bytes.end
    }
    assert.equal(end, (await stat(path)).size)
    assert.deepEqual(read, value.keys)
  }), { numRuns: 100 })
})

test('property: a range read of a sorted JSON Lines file is jsonLinesSource filtered to the range', async () => {
  const jsonKey = fc.oneof(key, fc.constantFrom('a\nb', 'tab\there', 'q"uote'))
  await fc.assert(fc.asyncProperty(fc.array(jsonKey, { maxLength: 60 }), fc.boolean(), bound, bound, async (list, finalNewline, lower, upper) => {
    const sorted = [...list].sort(compareKeys)
    const text = sorted.map((entry, i) => JSON.stringify({ at: { k: entry }, i })).join('\n')
    const path = await file(finalNewline && text.length > 0 ? text + '\n' : text)
    const range = { after: lower, upTo: upper }
    const whole = await keys(jsonLinesSource(path, { field: 'at.k' }))
    assert.deepEqual(await keys(sortedFileSource(path, { format: 'jsonl', field: 'at.k', range })), whole.filter(entry => inRange(entry, range)))
  }), { numRuns: 100 })
})

test('an empty file, and ranges before and after every key, read nothing', async () => {
  const empty = await file('')
  assert.deepEqual(await keys(sortedFileSource(empty, { range: { after: 'a', upTo: 'b' } })), [])
  const path = await file('m\nn\nn\no\n')
  assert.deepEqual(await keys(sortedFileSource(path, { range: { upTo: 'l' } })), [])
  assert.deepEqual(await keys(sortedFileSource(path, { range: { after: 'o' } })), [])
  assert.deepEqual(await keys(sortedFileSource(path, { range: { after: 'm', upTo: 'n' } })), ['n', 'n'])
  assert.deepEqual(await keys(sortedFileSource(path)), ['m', 'n', 'n', 'o'])
})

test('a long file is searched, not read: a narrow range reads a few lines of it', async () => {
  const lines = Array.from({ length: 200_000 }, (_, i) => `blobs/${i.toString(16).padStart(8, '0')}`)
  const path = await file(lines.join('\n') + '\n')
  const source = sortedFileSource(path, { range: { after: lines[150_000], upTo: lines[150_010] } })
  assert.deepEqual(await keys(source), lines.slice(150_001, 150_011))
  const read = source.byteRange
  assert.ok(read !== undefined)
  assert.equal(read.keys, 10)
  assert.equal(read.start, 150_001 * 15)
  assert.equal(read.end, 150_011 * 15)
})

test('a key lower than the one before fails the read, naming the file, the byte offset and both keys', async () => {
  const path = await file('a\nc\nb\nd\n')
  await assert.rejects(keys(sortedFileSource(path, { range: { after: 'a' } })), (error: unknown) => {
    assert.ok(error instanceof NotSortedError)
    assert.equal(error.code, 'KEYDIFF_NOT_SORTED')
    const order = error as SortedFileOrderError
    assert.equal(order.offset, 4)
    assert.equal(order.path, path)
    assert.equal(order.previous, 'c')
    assert.equal(order.key, 'b')
    assert.match(error.message, /byte 4/)
    assert.ok(error.message.includes(path))
    return true
  })
})

test('a file changed since its identity was taken fails as it is opened, and one changed during the read fails at its end', async () => {
  const lines = Array.from({ length: 60_000 }, (_, i) => `k${String(i).padStart(7, '0')}`)
  const path = await file(lines.join('\n') + '\n')
  const info = await stat(path)
  const identity = { size: info.size, mtimeMs: info.mtimeMs }
  assert.equal((await keys(sortedFileSource(path, { identity }))).length, 60_000)
  await assert.rejects(keys(sortedFileSource(path, { identity: { ...identity, size: identity.size + 1 } })), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED')
    assert.match(error.message, /changed since its order was verified/)
    return true
  })
  const reading = sortedFileSource(path, { identity })[Symbol.asyncIterator]()
  assert.equal((await reading.next()).done, false)
  await appendFile(path, 'k9999999\n')
  await assert.rejects((async () => { while ((await reading.next()).done !== true);})(), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED')
    assert.match(error.message, /size went from/)
    return true
  })
})

test('a gzipped file cannot be read by byte range', async () => {
  const path = await file(gzipSync('a\nb\n'))
  await assert.rejects(keys(sortedFileSource(path, { range: { after: 'a' } })), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('a JSON Lines line without its key fails naming its byte offset', async () => {
  const path = await file('{"k":"a"}\n{"x":1}\n')
  await assert.rejects(keys(sortedFileSource(path, { format: 'jsonl', field: 'k' })), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
    assert.match(error.message, /byte 10: field "k" is missing/)
    return true
  })
  assert.throws(() => sortedFileSource(path, { format: 'jsonl' }), TypeError)
})

test('the source is sorted and dated as a file of references is: by its modification time', async () => {
  const path = await file('a\nb\n')
  // Modified a minute ago: a file written in the same millisecond as its read is dated by the read.
  const modified = new Date(Date.now() - 60_000)
  await utimes(path, modified, modified)
  const source = sortedFileSource(path, { name: 'file:refs' })
  assert.equal(source.sorted, true)
  assert.equal(source.name, 'file:refs')
  await keys(source)
  assert.equal(source.scanBasis, 'file modified')
  assert.equal(source.scanStartedAt?.getTime(), modified.getTime())
})
